// The MPI backend: every collective is non-blocking (MPI_Iallreduce, MPI_Ibcast, MPI_Ibarrier,
// MPI_Ialltoall(v)) and polled with MPI_Test until done or until the timeout, which throws an
// Error naming the rank, the collective and the context. A failing rank calls abort(): it
// prints its error and MPI_Abort ends every process of the job, so no rank waits forever.
#include "core/error.h"
#include "dist/communicator.h"

#if MOEMT_WITH_MPI
#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <thread>
#include <vector>
#endif

namespace moemt::dist {

#if MOEMT_WITH_MPI
namespace {

using Clock = std::chrono::steady_clock;

// Element counts of one MPI call are int: larger buffers go in pieces of this many elements.
constexpr int64_t kChunk = int64_t{1} << 30;

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(MPI_Comm comm, bool owns, bool finalize, double timeout_s)
      : Communicator(timeout_s), comm_(comm), owns_(owns), finalize_(finalize) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized) return;
    if (owns_) MPI_Comm_free(&comm_);
    if (finalize_) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const char* backend() const override { return "mpi"; }

  using Communicator::all_reduce_sum;
  void all_reduce_sum(float* x, int64_t n, std::string_view context) override {
    reduce(x, n, MPI_FLOAT, sizeof(float), "all_reduce_sum", context);
  }
  void all_reduce_sum(double* x, int64_t n, std::string_view context) override {
    reduce(x, n, MPI_DOUBLE, sizeof(double), "all_reduce_sum(f64)", context);
  }

  void broadcast_bytes(void* data, size_t bytes, int root, std::string_view context) override {
    MOEMT_CHECK(root >= 0 && root < size_, "{}: root {} out of range", where("broadcast", context),
                root);
    char* p = static_cast<char*>(data);
    for (size_t at = 0; at < bytes || at == 0; at += kChunk) {
      int n = static_cast<int>(std::min<size_t>(kChunk, bytes - at));
      MPI_Request req;
      check(MPI_Ibcast(p + at, n, MPI_BYTE, root, comm_, &req), "broadcast", context);
      wait(req, "broadcast", context);
      if (bytes == 0) break;
    }
  }

  void barrier(std::string_view context) override {
    MPI_Request req;
    check(MPI_Ibarrier(comm_, &req), "barrier", context);
    wait(req, "barrier", context);
  }

  void exchange_counts(const std::vector<int64_t>& send_counts, std::vector<int64_t>& recv_counts,
                       std::string_view context) override {
    MOEMT_CHECK(static_cast<int>(send_counts.size()) == size_, "{}: {} counts for {} ranks",
                where("all_to_all_v counts", context), send_counts.size(), size_);
    recv_counts.assign(size_, 0);
    MPI_Request req;
    check(MPI_Ialltoall(send_counts.data(), 1, MPI_INT64_T, recv_counts.data(), 1, MPI_INT64_T,
                        comm_, &req),
          "all_to_all_v counts", context);
    wait(req, "all_to_all_v counts", context);
  }

  void all_to_all_v_bytes(const void* send, const std::vector<int64_t>& send_counts, void* recv,
                          const std::vector<int64_t>& recv_counts, size_t row_bytes,
                          std::string_view context) override {
    // Counts and displacements are in rows of a contiguous datatype, so they stay int-sized.
    std::vector<int> sc(size_), sd(size_), rc(size_), rd(size_);
    int64_t s_at = 0, r_at = 0;
    for (int r = 0; r < size_; ++r) {
      if (s_at + send_counts[r] > INT_MAX || r_at + recv_counts[r] > INT_MAX)
        throw Error("{}: more than {} rows", where("all_to_all_v", context), INT_MAX);
      sc[r] = static_cast<int>(send_counts[r]);
      sd[r] = static_cast<int>(s_at);
      rc[r] = static_cast<int>(recv_counts[r]);
      rd[r] = static_cast<int>(r_at);
      s_at += send_counts[r];
      r_at += recv_counts[r];
    }
    MPI_Datatype row;
    MPI_Type_contiguous(static_cast<int>(row_bytes), MPI_BYTE, &row);
    MPI_Type_commit(&row);
    MPI_Request req;
    int rcode = MPI_Ialltoallv(send, sc.data(), sd.data(), row, recv, rc.data(), rd.data(), row,
                               comm_, &req);
    if (rcode == MPI_SUCCESS) {
      try {
        wait(req, "all_to_all_v", context);
      } catch (...) {
        MPI_Type_free(&row);
        throw;
      }
    }
    MPI_Type_free(&row);
    check(rcode, "all_to_all_v", context);
  }

  void progress() override {
    for (MPI_Request& req : started_) {
      if (req == MPI_REQUEST_NULL) continue;
      int done = 0;
      MPI_Test(&req, &done, MPI_STATUS_IGNORE);  // errors surface in finish_sums
    }
  }

  std::unique_ptr<Communicator> split(int color, int key, std::string_view context) override {
    MOEMT_CHECK(color >= 0, "{}: color {} must be >= 0", where("split", context), color);
    // MPI has no non-blocking split: a barrier with the timeout first, so that a missing rank
    // is reported rather than waited for inside MPI_Comm_split.
    barrier(context);
    MPI_Comm sub;
    check(MPI_Comm_split(comm_, color, key, &sub), "split", context);
    return std::make_unique<MpiCommunicator>(sub, true, false, timeout_s());
  }

  void abort(const std::string& why) override {
    std::fprintf(stderr, "moemt: rank %d of %d failed: %s\nmoemt: stopping every rank (MPI_Abort)\n",
                 rank_, size_, why.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }

 protected:
  bool start_sum(float* x, int64_t n, std::string_view context) override {
    for (int64_t at = 0; at < n; at += kChunk) {
      MPI_Request req;
      check(MPI_Iallreduce(MPI_IN_PLACE, x + at, static_cast<int>(std::min(kChunk, n - at)),
                           MPI_FLOAT, MPI_SUM, comm_, &req),
            "all_reduce_sum", context);
      started_.push_back(req);
    }
    return true;
  }
  void finish_sums(std::string_view context) override {
    std::vector<MPI_Request> reqs = std::move(started_);
    started_.clear();
    for (MPI_Request& req : reqs)
      if (req != MPI_REQUEST_NULL) wait(req, "all_reduce_sum (started)", context);
  }

 private:
  void check(int code, const char* collective, std::string_view context) const {
    if (code == MPI_SUCCESS) return;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(code, msg, &len);
    throw Error("{}: MPI error: {}", where(collective, context), std::string(msg, len));
  }

  // Polls the request until it completes or the deadline passes. Sleeps back off up to 1 ms so
  // a rank waiting for a slower one does not take a core from it.
  void wait(MPI_Request& req, const char* collective, std::string_view context) {
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(timeout_s()));
    auto pause = std::chrono::microseconds(1);
    for (;;) {
      int done = 0;
      check(MPI_Test(&req, &done, MPI_STATUS_IGNORE), collective, context);
      if (done) return;
      if (Clock::now() >= deadline)
        throw Error("{}: not complete after {} s (--comm-timeout): another rank is slower, stuck "
                    "or gone",
                    where(collective, context), timeout_s());
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
  }

  void reduce(void* x, int64_t n, MPI_Datatype type, size_t elem, const char* collective,
              std::string_view context) {
    char* p = static_cast<char*>(x);
    for (int64_t at = 0; at < n; at += kChunk) {
      int m = static_cast<int>(std::min(kChunk, n - at));
      MPI_Request req;
      check(MPI_Iallreduce(MPI_IN_PLACE, p + at * elem, m, type, MPI_SUM, comm_, &req), collective,
            context);
      wait(req, collective, context);
    }
  }

  MPI_Comm comm_;
  std::vector<MPI_Request> started_;  // sums left running by start_sum
  bool owns_, finalize_;
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_world(double timeout_s) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  bool we_init = false;
  if (!initialized) {
    int provided = 0;
    // Only the thread that made the communicator calls MPI; OpenMP threads never do.
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
      throw Error("MPI_Init_thread failed; is this process started by mpirun?");
    we_init = true;
  }
  // Errors come back as codes (turned into moemt::Error) instead of killing the job silently.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  return std::make_unique<MpiCommunicator>(MPI_COMM_WORLD, false, we_init, timeout_s);
}

#else

std::unique_ptr<Communicator> make_mpi_world(double) {
  throw Error("this moemt was built without MPI (CMake MOEMT_MPI=OFF): install libopenmpi-dev "
              "(scripts/setup.sh) and rebuild, or run a single process");
}

#endif

}  // namespace moemt::dist
