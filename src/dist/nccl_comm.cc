// The NCCL backend: collectives of GPU ranks on a communication stream of their own. The
// communicator is non-blocking (ncclConfig_t::blocking = 0): every call may return
// ncclInProgress and is polled with ncclCommGetAsyncError, and enqueued work is polled with
// cudaStreamQuery, both until --comm-timeout, after which ncclCommAbort ends the communicator and
// an Error names the rank, the collective and the context. Host buffers (host scalars, count
// exchanges, CPU tensors) are staged through a device scratch buffer; device buffers go straight
// to NCCL. Compiled, not run on a GPU.
#include "core/error.h"
#include "dist/communicator.h"

#if MOEMT_WITH_NCCL
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <chrono>
#include <thread>

#include "core/cuda_runtime.h"
#include "core/stream.h"
#endif

namespace moemt::dist {

#if MOEMT_WITH_NCCL
namespace {

using Clock = std::chrono::steady_clock;

// The communicator's device is current on this thread for the scope.
class DeviceScope {
 public:
  explicit DeviceScope(int device) {
    cudaGetDevice(&prev_);
    if (prev_ != device) cudaSetDevice(device);
  }
  ~DeviceScope() { cudaSetDevice(prev_); }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int prev_ = 0;
};

ncclConfig_t nonblocking_config() {
  ncclConfig_t c = NCCL_CONFIG_INITIALIZER;
  c.blocking = 0;
  return c;
}

class NcclCommunicator final : public Communicator {
 public:
  // Takes ownership of comm (initialised, or in progress: waits for it). Until then errors name
  // the rank and size of the communicator it comes from, and `what` (init, split).
  NcclCommunicator(ncclComm_t comm, int device, Communicator* bootstrap, double timeout_s,
                   int from_rank, int from_size, const char* what, std::string_view context)
      : Communicator(timeout_s),
        comm_(comm),
        device_(device),
        bootstrap_(bootstrap),
        rank_(from_rank),
        size_(from_size) {
    DeviceScope ds(device_);
    stream_ = static_cast<cudaStream_t>(cuda_create_stream(Device::cuda(device_)).handle);
    cuda(cudaEventCreateWithFlags(&ready_, cudaEventDisableTiming), what, context);
    ready_wait(what, context);
    ncclCommUserRank(comm_, &rank_);
    ncclCommCount(comm_, &size_);
  }
  ~NcclCommunicator() override {
    DeviceScope ds(device_);
    if (!aborted_) {
      // Finalize flushes outstanding work; it is non-blocking here, so poll it (bounded).
      if (ncclCommFinalize(comm_) == ncclInProgress) {
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        ncclResult_t st = ncclInProgress;
        while (st == ncclInProgress && Clock::now() < deadline) ncclCommGetAsyncError(comm_, &st);
      }
      ncclCommDestroy(comm_);
    }
    if (scratch_) cudaFree(scratch_);
    cudaEventDestroy(ready_);
    cudaStreamDestroy(stream_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const char* backend() const override { return "nccl"; }
  bool takes(Device d) const override { return d.is_cpu() || d == Device::cuda(device_); }

  using Communicator::all_reduce_sum;
  void all_reduce_sum(float* x, int64_t n, std::string_view context) override {
    reduce(x, n, ncclFloat32, sizeof(float), "all_reduce_sum", context);
  }
  void all_reduce_sum(double* x, int64_t n, std::string_view context) override {
    reduce(x, n, ncclFloat64, sizeof(double), "all_reduce_sum(f64)", context);
  }

  void broadcast_bytes(void* data, size_t bytes, int root, std::string_view context) override {
    MOEMT_CHECK(root >= 0 && root < size_, "{}: root {} out of range", where("broadcast", context),
                root);
    if (bytes == 0) return;
    Staged buf = stage(data, bytes, true, "broadcast", context);
    run("broadcast", context, [&] {
      return ncclBroadcast(buf.dev, buf.dev, bytes, ncclUint8, root, comm_, stream_);
    });
    unstage(buf, data, bytes, "broadcast", context);
  }

  void barrier(std::string_view context) override {
    // NCCL has no barrier: a one-element all-reduce that every rank must join.
    float one = 1;
    reduce(&one, 1, ncclFloat32, sizeof(float), "barrier", context);
  }

  void exchange_counts(const std::vector<int64_t>& send_counts, std::vector<int64_t>& recv_counts,
                       std::string_view context) override {
    MOEMT_CHECK(static_cast<int>(send_counts.size()) == size_, "{}: {} counts for {} ranks",
                where("all_to_all_v counts", context), send_counts.size(), size_);
    recv_counts.assign(size_, 0);
    std::vector<int64_t> ones(size_, 1);
    all_to_all_v_bytes(send_counts.data(), ones, recv_counts.data(), ones, sizeof(int64_t),
                       context);
  }

  void all_to_all_v_bytes(const void* send, const std::vector<int64_t>& send_counts, void* recv,
                          const std::vector<int64_t>& recv_counts, size_t row_bytes,
                          std::string_view context) override {
    const char* what = "all_to_all_v";
    DeviceScope ds(device_);
    MOEMT_CHECK(static_cast<int>(send_counts.size()) == size_ &&
                    static_cast<int>(recv_counts.size()) == size_,
                "{}: {} send and {} receive counts for {} ranks", where(what, context),
                send_counts.size(), recv_counts.size(), size_);
    int64_t ns = 0, nr = 0;
    for (int r = 0; r < size_; ++r) ns += send_counts[r], nr += recv_counts[r];
    const size_t sbytes = ns * row_bytes, rbytes = nr * row_bytes;
    // Send and receive staging share the scratch buffer: [send | receive].
    const bool send_dev = on_device(send), recv_dev = on_device(recv);
    const size_t rat = send_dev ? 0 : sbytes;
    char* base = static_cast<char*>(scratch((send_dev ? 0 : sbytes) + (recv_dev ? 0 : rbytes)));
    const char* s = send_dev ? static_cast<const char*>(send) : base;
    char* d = recv_dev ? static_cast<char*>(recv) : base + rat;
    after_current_stream();
    if (!send_dev && sbytes > 0)
      cuda(cudaMemcpyAsync(base, send, sbytes, cudaMemcpyHostToDevice, stream_), what, context);
    // One group of point-to-point calls (NCCL's all-to-all-v); zero counts are skipped.
    run(what, context, [&] {
      ncclResult_t st = ncclGroupStart();
      if (st != ncclSuccess) return st;
      int64_t so = 0, ro = 0;
      for (int r = 0; r < size_ && (st == ncclSuccess || st == ncclInProgress); ++r) {
        const size_t sb = send_counts[r] * row_bytes, rb = recv_counts[r] * row_bytes;
        if (sb > 0) st = ncclSend(s + so, sb, ncclUint8, r, comm_, stream_);
        if (rb > 0 && (st == ncclSuccess || st == ncclInProgress))
          st = ncclRecv(d + ro, rb, ncclUint8, r, comm_, stream_);
        so += sb;
        ro += rb;
      }
      const ncclResult_t end = ncclGroupEnd();
      return st == ncclSuccess || st == ncclInProgress ? end : st;
    });
    if (!recv_dev && rbytes > 0) {
      cuda(cudaMemcpyAsync(recv, d, rbytes, cudaMemcpyDeviceToHost, stream_), what, context);
      stream_wait(what, context);
    }
  }

  std::unique_ptr<Communicator> split(int color, int key, std::string_view context) override {
    MOEMT_CHECK(color >= 0, "{}: color {} must be >= 0", where("split", context), color);
    DeviceScope ds(device_);
    ncclConfig_t cfg = nonblocking_config();
    ncclComm_t sub = nullptr;
    nccl(ncclCommSplit(comm_, color, key, &sub, &cfg), "split", context);
    ready_wait("split", context);
    return std::make_unique<NcclCommunicator>(sub, device_, bootstrap_, timeout_s(), rank_, size_,
                                              "split", context);
  }

  void abort(const std::string& why) override {
    if (!aborted_) {
      DeviceScope ds(device_);
      ncclCommAbort(comm_);
      aborted_ = true;
    }
    if (bootstrap_) bootstrap_->abort(why);
  }

 protected:
  // Device buffers: queued on the communication stream after the caller's current stream, and
  // left running; host buffers are summed here (staged).
  bool start_sum(float* x, int64_t n, std::string_view context) override {
    if (!on_device(x)) {
      all_reduce_sum(x, n, context);
      return false;
    }
    if (aborted_)
      throw Error("{}: the NCCL communicator was aborted by an earlier failure",
                  where("all_reduce_sum", context));
    DeviceScope ds(device_);
    after_current_stream();
    nccl(ncclAllReduce(x, x, n, ncclFloat32, ncclSum, comm_, stream_), "all_reduce_sum", context);
    ready_wait("all_reduce_sum", context);  // enqueued (non-blocking communicator)
    return true;
  }
  void finish_sums(std::string_view context) override {
    DeviceScope ds(device_);
    stream_wait("all_reduce_sum (started)", context);
  }

 private:
  struct Staged {
    void* dev = nullptr;
    bool copied = false;  // host memory staged in scratch_
  };

  bool on_device(const void* p) const {
    cudaPointerAttributes a{};
    if (cudaPointerGetAttributes(&a, p) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky "invalid value" of an unknown host pointer
      return false;
    }
    return (a.type == cudaMemoryTypeDevice || a.type == cudaMemoryTypeManaged) &&
           a.device == device_;
  }

  // A device buffer of at least `bytes`, reused between calls.
  void* scratch(size_t bytes) {
    if (bytes <= scratch_bytes_) return scratch_;
    if (scratch_) cudaFree(scratch_);
    scratch_ = nullptr;
    scratch_bytes_ = 0;
    cuda(cudaMalloc(&scratch_, bytes), "cudaMalloc", "communication scratch");
    scratch_bytes_ = bytes;
    return scratch_;
  }

  // Device memory as it is, or host memory copied (when `in`) into the scratch buffer.
  Staged stage(void* p, size_t bytes, bool in, const char* what, std::string_view context) {
    DeviceScope ds(device_);
    after_current_stream();
    if (on_device(p)) return {p, false};
    Staged s{scratch(bytes), true};
    if (in) cuda(cudaMemcpyAsync(s.dev, p, bytes, cudaMemcpyHostToDevice, stream_), what, context);
    return s;
  }
  void unstage(const Staged& s, void* p, size_t bytes, const char* what, std::string_view context) {
    if (!s.copied) return;
    cuda(cudaMemcpyAsync(p, s.dev, bytes, cudaMemcpyDeviceToHost, stream_), what, context);
    stream_wait(what, context);
  }

  // The communication stream waits for the work already queued on the caller's current stream
  // of the device (which produced the buffers).
  void after_current_stream() {
    auto cur = static_cast<cudaStream_t>(current_stream(Device::cuda(device_)).handle);
    cuda(cudaEventRecord(ready_, cur), "cudaEventRecord", "stream order");
    cuda(cudaStreamWaitEvent(stream_, ready_, 0), "cudaStreamWaitEvent", "stream order");
  }

  void reduce(void* x, int64_t n, ncclDataType_t type, size_t elem, const char* what,
              std::string_view context) {
    if (n == 0) return;
    const size_t bytes = n * elem;
    Staged buf = stage(x, bytes, true, what, context);
    run(what, context,
        [&] { return ncclAllReduce(buf.dev, buf.dev, n, type, ncclSum, comm_, stream_); });
    unstage(buf, x, bytes, what, context);
  }

  // Issues NCCL calls (on the device, after checking the communicator is usable), waits until
  // they are enqueued and then until the stream has run them.
  template <typename Fn>
  void run(const char* what, std::string_view context, Fn&& issue) {
    if (aborted_)
      throw Error("{}: the NCCL communicator was aborted by an earlier failure",
                  where(what, context));
    DeviceScope ds(device_);
    nccl(issue(), what, context);
    ready_wait(what, context);
    stream_wait(what, context);
  }

  void nccl(ncclResult_t st, const char* what, std::string_view context) {
    if (st == ncclSuccess || st == ncclInProgress) return;
    fail(what, context, st);
  }
  // An error leaves the communicator unusable: it is aborted, and later calls say so.
  [[noreturn]] void fail(const char* what, std::string_view context, ncclResult_t st) {
    const std::string last = ncclGetLastError(comm_) ? ncclGetLastError(comm_) : "";
    if (!aborted_) ncclCommAbort(comm_);
    aborted_ = true;
    throw Error("{}: NCCL error: {}{}{}", where(what, context), ncclGetErrorString(st),
                last.empty() ? "" : ": ", last);
  }
  void cuda(cudaError_t e, const char* what, std::string_view context) {
    if (e != cudaSuccess)
      throw Error("{}: CUDA error: {}", where(what, context), cudaGetErrorString(e));
  }

  // Polls until done() or the deadline; at the deadline aborts the communicator and throws.
  template <typename Done>
  void poll(const char* what, std::string_view context, Done&& done) {
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(timeout_s()));
    auto pause = std::chrono::microseconds(1);
    while (!done()) {
      if (Clock::now() >= deadline) {
        ncclCommAbort(comm_);
        aborted_ = true;
        throw Error("{}: not complete after {} s (--comm-timeout): another rank is slower, stuck "
                    "or gone (NCCL communicator aborted)",
                    where(what, context), timeout_s());
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
  }
  // The communicator's pending calls (init, split, group end) have completed.
  void ready_wait(const char* what, std::string_view context) {
    poll(what, context, [&] {
      ncclResult_t st = ncclSuccess;
      ncclCommGetAsyncError(comm_, &st);
      if (st != ncclSuccess && st != ncclInProgress) fail(what, context, st);
      return st == ncclSuccess;
    });
  }
  // The communication stream has run everything queued on it; NCCL errors of a peer end the
  // wait early.
  void stream_wait(const char* what, std::string_view context) {
    poll(what, context, [&] {
      const cudaError_t q = cudaStreamQuery(stream_);
      if (q == cudaSuccess) return true;
      if (q != cudaErrorNotReady) cuda(q, what, context);
      ncclResult_t st = ncclSuccess;
      ncclCommGetAsyncError(comm_, &st);
      if (st != ncclSuccess && st != ncclInProgress) fail(what, context, st);
      return false;
    });
  }

  ncclComm_t comm_;
  int device_;
  Communicator* bootstrap_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t ready_ = nullptr;
  void* scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
  int rank_ = 0, size_ = 1;
  bool aborted_ = false;
};

}  // namespace

bool nccl_built() { return true; }

std::unique_ptr<Communicator> make_nccl(Communicator& bootstrap, int device, double timeout_s) {
  const int n = cuda_device_count();
  if (device < 0 || device >= n)
    throw Error("NCCL: CUDA device {} does not exist ({} visible)", device, n);
  ncclUniqueId id{};
  if (bootstrap.rank() == 0) {
    const ncclResult_t st = ncclGetUniqueId(&id);
    if (st != ncclSuccess) throw Error("ncclGetUniqueId: {}", ncclGetErrorString(st));
  }
  bootstrap.broadcast_bytes(&id, sizeof(id), 0, "NCCL unique id");
  DeviceScope ds(device);
  ncclConfig_t cfg = nonblocking_config();
  ncclComm_t comm = nullptr;
  const ncclResult_t st =
      ncclCommInitRankConfig(&comm, bootstrap.size(), id, bootstrap.rank(), &cfg);
  if (st != ncclSuccess && st != ncclInProgress)
    throw Error("ncclCommInitRankConfig (rank {} of {}, device {}): {}", bootstrap.rank(),
                bootstrap.size(), device, ncclGetErrorString(st));
  // The constructor polls the initialisation to its end (with the timeout).
  return std::make_unique<NcclCommunicator>(comm, device, &bootstrap, timeout_s, bootstrap.rank(),
                                            bootstrap.size(), "init", "NCCL communicator");
}

#else

bool nccl_built() { return false; }

std::unique_ptr<Communicator> make_nccl(Communicator&, int, double) {
  throw Error("this moemt was built without NCCL (CMake MOEMT_NCCL=OFF, or no CUDA)");
}

#endif

}  // namespace moemt::dist
