// The collectives suite on the local and in-process (threads) backends, and the failure paths
// (timeouts, a failing rank, collectives out of order) that the threads backend can test in one
// process. MPI runs the same suite from tests/dist/mpi/.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "collectives_suite.h"

namespace moemt::dist::testing {
namespace {

using Runners = ::testing::Types<LocalRanks, ThreadRanks<2>, ThreadRanks<3>>;
INSTANTIATE_TYPED_TEST_SUITE_P(InProcess, CollectivesTest, Runners);

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Runs fn on n thread ranks and returns each rank's error message ("" = returned normally).
std::vector<std::string> errors_of(int n, double timeout_s, const RankFn& fn) {
  auto comms = make_thread_group(n, timeout_s);
  std::vector<std::string> errors(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r)
    threads.emplace_back([&, r] {
      try {
        fn(*comms[r]);
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  return errors;
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(ThreadCommunicator, TimeoutNamesRankCollectiveAndContext) {
  auto t0 = Clock::now();
  // Rank 1 never joins the all-reduce of step 120.
  auto errors = errors_of(2, 0.3, [](Communicator& c) {
    if (c.rank() == 1) return;
    float x = 1;
    c.all_reduce_sum(&x, 1, "step 120");
  });
  EXPECT_LT(seconds_since(t0), 5.0);
  EXPECT_TRUE(has(errors[0], "rank 0 of 2")) << errors[0];
  EXPECT_TRUE(has(errors[0], "all_reduce_sum")) << errors[0];
  EXPECT_TRUE(has(errors[0], "step 120")) << errors[0];
  EXPECT_TRUE(has(errors[0], "timed out after 0.3 s waiting for rank(s) 1")) << errors[0];
  EXPECT_EQ(errors[1], "");
}

TEST(ThreadCommunicator, FailingRankStopsTheOthers) {
  // Rank 2 fails before step 3; ranks 0 and 1 wait in its all-reduce with a long timeout and
  // must stop at once with rank 2's message.
  auto t0 = Clock::now();
  auto errors = errors_of(3, 60, [](Communicator& c) {
    try {
      for (int step = 1; step <= 5; ++step) {
        if (c.rank() == 2 && step == 3) throw Error("out of memory in the decoder");
        double v = 1;
        c.all_reduce_sum(&v, 1, fmt::format("step {}", step));
      }
    } catch (const Error& e) {
      c.abort(e.what());
      throw;
    }
  });
  EXPECT_LT(seconds_since(t0), 5.0);
  EXPECT_EQ(errors[2], "out of memory in the decoder");
  for (int r : {0, 1}) {
    EXPECT_TRUE(has(errors[r], fmt::format("rank {} of 3", r))) << errors[r];
    EXPECT_TRUE(has(errors[r], "step 3")) << errors[r];
    EXPECT_TRUE(has(errors[r], "rank 2 failed: out of memory in the decoder")) << errors[r];
  }
}

TEST(ThreadCommunicator, AbortReachesSubGroups) {
  // Ranks 0 and 1 wait in their sub-group; rank 2 (alone in its group) fails.
  auto errors = errors_of(3, 60, [](Communicator& c) {
    auto sub = c.split(c.rank() == 2 ? 1 : 0, c.rank(), "split");
    if (c.rank() == 2) {
      c.abort("bad batch");
      return;
    }
    if (sub->rank() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    sub->barrier("expert group barrier");
    sub->barrier("expert group barrier 2");
  });
  for (int r : {0, 1}) EXPECT_TRUE(has(errors[r], "rank 2 failed: bad batch")) << errors[r];
}

TEST(ThreadCommunicator, CollectivesOutOfOrderAreReported) {
  auto errors = errors_of(2, 5, [](Communicator& c) {
    if (c.rank() == 0) c.barrier("step 7");
    else {
      double v = 0;
      c.all_reduce_sum(&v, 1, "step 7");
    }
  });
  int reported = 0;
  for (const auto& e : errors) reported += has(e, "collectives out of order") || has(e, "stopped because");
  EXPECT_EQ(reported, 2) << errors[0] << " | " << errors[1];
}

TEST(ThreadCommunicator, MismatchedSizesAreReported) {
  auto errors = errors_of(2, 5, [](Communicator& c) {
    std::vector<float> v(c.rank() == 0 ? 4 : 5, 1.f);
    c.all_reduce_sum(v.data(), static_cast<int64_t>(v.size()), "step 2");
  });
  EXPECT_TRUE(has(errors[0] + errors[1], "reduces 5 values, this rank 4") ||
              has(errors[0] + errors[1], "reduces 4 values, this rank 5"))
      << errors[0] << " | " << errors[1];
}

TEST(LocalCommunicator, IsOneRank) {
  auto c = make_local();
  EXPECT_EQ(c->size(), 1);
  EXPECT_STREQ(c->backend(), "local");
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2}, {2});
  c->all_reduce_sum(x, "step 1");
  EXPECT_EQ(x.to_vector(), (std::vector<float>{1, 2}));
}

TEST(MpiCommunicator, UnavailableBuildSaysSo) {
  if (mpi_built()) GTEST_SKIP() << "built with MPI; tests/dist/mpi runs it under mpirun";
  try {
    make_mpi_world();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_TRUE(has(e.what(), "built without MPI")) << e.what();
  }
}

}  // namespace
}  // namespace moemt::dist::testing
