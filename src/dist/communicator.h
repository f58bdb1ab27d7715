// Communicator: the collectives of data- and expert-parallel training (all-reduce, all-to-all-v,
// broadcast, barrier, split) over a group of ranks, with backends local, threads, MPI and NCCL.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace moemt::dist {

// Every collective takes a `context` string from the caller ("step 120") that its errors quote.
// A collective that has not completed after timeout_s() seconds throws moemt::Error naming the
// rank, the collective and the context. Collectives must be called by every rank of the group
// in the same order. Raw pointers are host memory, except for the NCCL backend, which also takes
// pointers on its CUDA device (and stages host memory through the device). Tensors may be on the
// CPU or on a CUDA device with every backend: a backend that does not take the device (local,
// threads, MPI) copies the tensor to the host, runs the collective there and copies the result
// back ("MPI-staged" GPU training, e.g. several ranks sharing one GPU, which NCCL refuses).
class Communicator {
 public:
  explicit Communicator(double timeout_s) : timeout_s_(timeout_s) {}
  virtual ~Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual const char* backend() const = 0;  // "local", "threads", "mpi", "nccl"
  // The device whose tensors the collectives take natively besides host ones (NCCL: its GPU).
  virtual bool takes(Device d) const { return d.is_cpu(); }
  // Whether the Tensor collectives stage tensors on `d` through host memory (a CUDA device
  // the backend does not take natively).
  bool stages(Device d) const;

  // In-place sums over the ranks; every rank gets the same values.
  void all_reduce_sum(Tensor& x, std::string_view context);  // f32 or f64
  virtual void all_reduce_sum(float* x, int64_t n, std::string_view context) = 0;
  virtual void all_reduce_sum(double* x, int64_t n, std::string_view context) = 0;

  // Non-blocking sums, for gradients summed while backward goes on: start_all_reduce_sum
  // starts an in-place sum of x (f32) and returns at once where the backend can (MPI:
  // MPI_Iallreduce; NCCL: queued on its stream after the caller's current stream); the other
  // backends, and tensors staged through the host, sum before returning. x must stay alive and
  // untouched until finish_all_reduces(), which completes every started sum (--comm-timeout
  // applies). Every rank starts the same sums in the same order. progress() lets started sums
  // advance between other work (MPI moves data only inside MPI calls).
  void start_all_reduce_sum(Tensor x, std::string_view context);
  void finish_all_reduces(std::string_view context);
  virtual void progress() {}

  // x (any dtype, same shape on every rank) takes root's values.
  void broadcast(Tensor& x, int root, std::string_view context);
  virtual void broadcast_bytes(void* data, size_t bytes, int root, std::string_view context) = 0;

  virtual void barrier(std::string_view context) = 0;

  // Rows of send (N, D) f32 go to the ranks in order: send_counts[r] rows to rank r (sum = N,
  // any may be 0). The counts are exchanged first, then the payload. Returns (M, D) with the
  // rows received from rank 0, then rank 1, ...; recv_counts (if given) gets the M_r.
  Tensor all_to_all_v(const Tensor& send, const std::vector<int64_t>& send_counts,
                      std::vector<int64_t>* recv_counts, std::string_view context);
  // The payload phase alone, when the caller exchanged the counts already (e.g. per expert,
  // with exchange_count_blocks): recv_counts[r] rows come from rank r.
  Tensor all_to_all_v(const Tensor& send, const std::vector<int64_t>& send_counts,
                      const std::vector<int64_t>& recv_counts, std::string_view context);
  // The two phases on raw rows of row_bytes bytes: recv_counts[r] = send_counts of rank r for
  // this rank; then the payload into recv (sum(recv_counts) rows, filled in rank order).
  virtual void exchange_counts(const std::vector<int64_t>& send_counts,
                               std::vector<int64_t>& recv_counts, std::string_view context) = 0;
  virtual void all_to_all_v_bytes(const void* send, const std::vector<int64_t>& send_counts,
                                  void* recv, const std::vector<int64_t>& recv_counts,
                                  size_t row_bytes, std::string_view context) = 0;

  // MPI_Comm_split: ranks with the same color (>= 0) form a group, ranked by (key, rank).
  virtual std::unique_ptr<Communicator> split(int color, int key, std::string_view context) = 0;

  // Ends the whole job after a rank failed with `why`. threads: every pending and later
  // collective of every rank of the world throws an Error quoting why. MPI: prints why on
  // stderr and calls MPI_Abort (no return). local: nothing to tell.
  virtual void abort(const std::string& why) = 0;

  double timeout_s() const { return timeout_s_; }
  void set_timeout(double s) { timeout_s_ = s; }

  // Payload bytes this rank sent through the Tensor collectives since the last reset (an
  // all-to-all counts the rows sent to other ranks, an all-reduce its buffer; what a ring
  // moves is about twice that), and the time spent in them (waiting for slower ranks
  // included). Host-scalar reductions and count exchanges are not counted.
  struct Traffic {
    int64_t all_to_all_bytes = 0, all_reduce_bytes = 0;
    int64_t all_to_all_inter_node_bytes = 0;  // the part sent to ranks on other nodes
    double all_to_all_s = 0, all_reduce_s = 0;  // wall time inside those collectives
    void add(const Traffic& o) {
      all_to_all_bytes += o.all_to_all_bytes;
      all_to_all_inter_node_bytes += o.all_to_all_inter_node_bytes;
      all_reduce_bytes += o.all_reduce_bytes;
      all_to_all_s += o.all_to_all_s;
      all_reduce_s += o.all_reduce_s;
    }
  };
  const Traffic& traffic() const { return traffic_; }
  void reset_traffic() { traffic_ = {}; }
  // The node of each rank of this group (any ids; equal = same node), for the inter-node part
  // of the traffic. Unset: every rank counts as on this rank's node.
  void set_nodes(std::vector<int> node_of_rank);

 protected:
  // The backend's part of start_all_reduce_sum on memory it takes: returns true when the sum
  // was left running (finish_sums completes it), false when it is done. Default: done here.
  virtual bool start_sum(float* x, int64_t n, std::string_view context) {
    all_reduce_sum(x, n, context);
    return false;
  }
  virtual void finish_sums(std::string_view /*context*/) {}
  // Throws Error unless this backend takes x's device (takes()).
  void check_memory(const Tensor& x, const char* what) const;
  // "rank 1 of 2: all_reduce_sum (step 120)" for error messages.
  std::string where(std::string_view collective, std::string_view context) const;

 private:
  double timeout_s_;
  Traffic traffic_;
  std::vector<Tensor> started_;  // buffers of sums left running, kept alive until finished
  std::vector<int> nodes_;
};

// Sets a communicator's timeout for a scope (a wait that may legitimately be long, such as
// rank 0's validation), restoring it afterwards.
class TimeoutScope {
 public:
  TimeoutScope(Communicator& c, double s) : c_(c), old_(c.timeout_s()) { c.set_timeout(s); }
  ~TimeoutScope() { c_.set_timeout(old_); }
  TimeoutScope(const TimeoutScope&) = delete;
  TimeoutScope& operator=(const TimeoutScope&) = delete;

 private:
  Communicator& c_;
  double old_;
};

inline constexpr double kDefaultTimeoutS = 300;

// The one-rank group (no communication; every collective is a copy or nothing).
std::unique_ptr<Communicator> make_local(double timeout_s = kDefaultTimeoutS);

// n in-process ranks sharing memory, one communicator per rank, each used from its own thread
// (for tests). Sums run in rank order, so results are bitwise equal on every rank.
std::vector<std::unique_ptr<Communicator>> make_thread_group(int n,
                                                             double timeout_s = kDefaultTimeoutS);

// True when this build has MPI (CMake MOEMT_MPI).
bool mpi_built();
// MPI_COMM_WORLD. Initialises MPI (MPI_THREAD_FUNNELED) on first use; the communicator
// finalises it when destroyed. Throws Error in a build without MPI.
std::unique_ptr<Communicator> make_mpi_world(double timeout_s = kDefaultTimeoutS);

// True when this build has NCCL (CMake MOEMT_NCCL, with CUDA).
bool nccl_built();
// A NCCL communicator over the ranks of `bootstrap` (MPI, or local for one rank), on CUDA device
// `device`: rank 0 makes the ncclUniqueId and broadcasts it over bootstrap. Collectives run on
// a communication stream of their own, after the work already queued on the calling thread's
// current stream of the device, and return when done (host-side polling, so --comm-timeout
// applies: a collective that is not done by then aborts the NCCL communicator and throws).
// abort() aborts it and then calls bootstrap.abort(), which must outlive the communicator and
// every split of it. Throws Error in a build without NCCL or when the device does not exist.
std::unique_ptr<Communicator> make_nccl(Communicator& bootstrap, int device,
                                        double timeout_s = kDefaultTimeoutS);

// Helpers built on the collectives.
void broadcast_string(Communicator& c, std::string& s, int root, std::string_view context);
// Every rank's string on root, in rank order (empty vector on the other ranks).
std::vector<std::string> gather_strings(Communicator& c, const std::string& s, int root,
                                        std::string_view context);
// Blocks of `width` counts: send holds size() * width values, block r for rank r; returns the
// blocks received, block r from rank r (one all-to-all of fixed-size rows).
std::vector<int64_t> exchange_count_blocks(Communicator& c, const std::vector<int64_t>& send,
                                           int64_t width, std::string_view context);
// Throws Error (on every rank) unless every rank passes the same value; `what` names it.
void check_same(Communicator& c, uint64_t value, std::string_view what, std::string_view context);
// Every rank's key as small ids, the same on every rank: ranks with equal keys get equal ids
// (numbered in order of first appearance). key_ids(c, host_name(), ...) numbers the nodes.
std::vector<int> key_ids(Communicator& c, const std::string& key, std::string_view context);
std::string host_name();

}  // namespace moemt::dist
