// The collectives suite under mpirun (one rank per process; tests/CMakeLists.txt runs it with
// -np 2 and -np 3), plus two failure scenarios that end the job and are checked by the output:
//   --fail-rank=R   rank R throws before step 3 and calls abort(): every rank must stop, with
//                   rank R's message, through MPI_Abort;
//   --stall-rank=R  rank R sleeps instead of joining the barrier of step 5: the others' barrier
//                   times out (1 s) with an error naming their rank, the barrier and the step.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "../collectives_suite.h"

namespace moemt::dist::testing {
namespace {
Communicator* g_world = nullptr;
struct MpiRanks {
  static void run(const RankFn& fn) { fn(*g_world); }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Mpi, CollectivesTest, ::testing::Types<MpiRanks>);

int scenario(Communicator& c, const std::string& mode, int who) {
  try {
    for (int step = 1; step <= 5; ++step) {
      std::string context = fmt::format("step {}", step);
      if (mode == "fail" && c.rank() == who && step == 3)
        throw Error("injected failure on rank {}", who);
      if (mode == "stall" && c.rank() == who && step == 5)
        std::this_thread::sleep_for(std::chrono::seconds(20));
      c.barrier(context);
    }
  } catch (const std::exception& e) {
    c.abort(e.what());
  }
  std::fprintf(stderr, "rank %d: scenario ended without an error\n", c.rank());
  return 1;
}
}  // namespace
}  // namespace moemt::dist::testing

int main(int argc, char** argv) {
  using moemt::dist::make_mpi_world;
  namespace dt = moemt::dist::testing;
  auto world = make_mpi_world(30);
  dt::g_world = world.get();
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--fail-rank=", 12) == 0)
      return dt::scenario(*world, "fail", std::atoi(argv[i] + 12));
    if (std::strncmp(argv[i], "--stall-rank=", 13) == 0) {
      world->set_timeout(1);
      return dt::scenario(*world, "stall", std::atoi(argv[i] + 13));
    }
  }
  ::testing::InitGoogleTest(&argc, argv);
  // One rank prints the results; failures on any rank still fail the job (exit code below).
  if (world->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int rc = RUN_ALL_TESTS();
  double failed = rc != 0 ? 1 : 0;
  world->all_reduce_sum(&failed, 1, "test results");
  if (failed > 0 && rc == 0)
    std::fprintf(stderr, "rank %d: passed, but %g rank(s) failed\n", world->rank(), failed);
  world.reset();
  return failed > 0 ? 1 : 0;
}
