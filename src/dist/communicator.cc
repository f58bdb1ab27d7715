// The backend-independent parts of Communicator (Tensor wrappers, helpers) and the local
// (one-rank) backend.
#include "dist/communicator.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>

#include "core/error.h"

namespace moemt::dist {

std::string Communicator::where(std::string_view collective, std::string_view context) const {
  return fmt::format("rank {} of {} ({}): {}{}{}{}", rank(), size(), backend(), collective,
                     context.empty() ? "" : " (", context, context.empty() ? "" : ")");
}

void Communicator::check_memory(const Tensor& x, const char* what) const {
  MOEMT_CHECK(takes(x.device()), "{}: the {} communicator does not take {} tensors", what,
              backend(), x.device().str());
}

bool Communicator::stages(Device d) const { return !takes(d) && d.kind == DeviceKind::cuda; }

void Communicator::all_reduce_sum(Tensor& x, std::string_view context) {
  if (stages(x.device())) {  // through a host copy (MPI, threads: "MPI-staged" GPU training)
    Tensor host = x.to(Device::cpu());
    all_reduce_sum(host, context);
    x.copy_from(host);
    return;
  }
  check_memory(x, "all_reduce_sum");
  const auto t0 = std::chrono::steady_clock::now();
  MOEMT_CHECK(x.dtype() == DType::f32 || x.dtype() == DType::f64,
              "all_reduce_sum takes f32 or f64 tensors, got {}", dtype_name(x.dtype()));
  if (x.dtype() == DType::f64) all_reduce_sum(static_cast<double*>(x.raw()), x.numel(), context);
  else all_reduce_sum(static_cast<float*>(x.raw()), x.numel(), context);
  if (size() == 1) return;
  traffic_.all_reduce_bytes += x.nbytes();
  traffic_.all_reduce_s +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Communicator::start_all_reduce_sum(Tensor x, std::string_view context) {
  if (stages(x.device())) {
    all_reduce_sum(x, context);
    return;
  }
  check_memory(x, "all_reduce_sum");
  MOEMT_CHECK(x.dtype() == DType::f32, "start_all_reduce_sum takes f32 tensors, got {}",
              dtype_name(x.dtype()));
  const auto t0 = std::chrono::steady_clock::now();
  if (x.numel() > 0 && start_sum(static_cast<float*>(x.raw()), x.numel(), context))
    started_.push_back(x);
  if (size() == 1) return;
  traffic_.all_reduce_bytes += x.nbytes();
  traffic_.all_reduce_s +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Communicator::finish_all_reduces(std::string_view context) {
  if (started_.empty()) return;
  const auto t0 = std::chrono::steady_clock::now();
  finish_sums(context);
  started_.clear();
  traffic_.all_reduce_s +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Communicator::broadcast(Tensor& x, int root, std::string_view context) {
  if (stages(x.device())) {
    Tensor host = x.to(Device::cpu());
    broadcast(host, root, context);
    x.copy_from(host);
    return;
  }
  check_memory(x, "broadcast");
  broadcast_bytes(x.raw(), x.nbytes(), root, context);
}

Tensor Communicator::all_to_all_v(const Tensor& send, const std::vector<int64_t>& send_counts,
                                  std::vector<int64_t>* recv_counts, std::string_view context) {
  // send (N, D) -> (M, D)
  if (!stages(send.device())) check_memory(send, "all_to_all_v");
  MOEMT_CHECK(send.rank() == 2, "all_to_all_v takes (N, D) rows, got {}", send.shape().str());
  MOEMT_CHECK(static_cast<int>(send_counts.size()) == size(), "all_to_all_v: {} counts for {} ranks",
              send_counts.size(), size());
  int64_t n = 0;
  for (int64_t c : send_counts) {
    MOEMT_CHECK(c >= 0, "all_to_all_v: negative count {}", c);
    n += c;
  }
  MOEMT_CHECK(n == send.size(0), "all_to_all_v: counts sum to {} but send has {} rows", n,
              send.size(0));
  std::vector<int64_t> rc;
  exchange_counts(send_counts, rc, context);
  Tensor recv = all_to_all_v(send, send_counts, rc, context);
  if (recv_counts) *recv_counts = std::move(rc);
  return recv;
}

Tensor Communicator::all_to_all_v(const Tensor& send, const std::vector<int64_t>& send_counts,
                                  const std::vector<int64_t>& recv_counts,
                                  std::string_view context) {
  if (stages(send.device()))
    return all_to_all_v(send.to(Device::cpu()), send_counts, recv_counts, context)
        .to(send.device());
  check_memory(send, "all_to_all_v");
  MOEMT_CHECK(send.rank() == 2 && static_cast<int>(send_counts.size()) == size() &&
                  static_cast<int>(recv_counts.size()) == size(),
              "all_to_all_v: send {} with {} send and {} receive counts for {} ranks",
              send.shape().str(), send_counts.size(), recv_counts.size(), size());
  int64_t n = 0, m = 0;
  for (int64_t c : send_counts) n += c;
  for (int64_t c : recv_counts) m += c;
  MOEMT_CHECK(n == send.size(0), "all_to_all_v: counts sum to {} but send has {} rows", n,
              send.size(0));
  const int64_t d = send.size(1);
  const size_t row_bytes = d * dtype_size(send.dtype());
  Tensor recv = Tensor::empty({m, d}, send.dtype(), send.device());
  const auto t0 = std::chrono::steady_clock::now();
  all_to_all_v_bytes(send.raw(), send_counts, recv.raw(), recv_counts, row_bytes, context);
  traffic_.all_to_all_bytes += (n - send_counts[rank()]) * static_cast<int64_t>(row_bytes);
  if (!nodes_.empty())
    for (int r = 0; r < size(); ++r)
      if (nodes_[r] != nodes_[rank()])
        traffic_.all_to_all_inter_node_bytes += send_counts[r] * static_cast<int64_t>(row_bytes);
  traffic_.all_to_all_s +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return recv;
}

void Communicator::set_nodes(std::vector<int> node_of_rank) {
  MOEMT_CHECK(node_of_rank.empty() || static_cast<int>(node_of_rank.size()) == size(),
              "set_nodes: {} nodes for {} ranks", node_of_rank.size(), size());
  nodes_ = std::move(node_of_rank);
}

std::vector<int64_t> exchange_count_blocks(Communicator& c, const std::vector<int64_t>& send,
                                           int64_t width, std::string_view context) {
  MOEMT_CHECK(static_cast<int64_t>(send.size()) == c.size() * width,
              "exchange_count_blocks: {} counts for {} ranks of {}", send.size(), c.size(), width);
  std::vector<int64_t> ones(c.size(), 1), recv(send.size());
  c.all_to_all_v_bytes(send.data(), ones, recv.data(), ones, width * sizeof(int64_t), context);
  return recv;
}

void broadcast_string(Communicator& c, std::string& s, int root, std::string_view context) {
  uint64_t n = s.size();
  c.broadcast_bytes(&n, sizeof(n), root, context);
  s.resize(n);
  c.broadcast_bytes(s.data(), n, root, context);
}

std::vector<std::string> gather_strings(Communicator& c, const std::string& s, int root,
                                        std::string_view context) {
  // An all-to-all-v of byte rows in which only `root` receives.
  std::vector<int64_t> send(c.size(), 0), recv;
  send[root] = static_cast<int64_t>(s.size());
  c.exchange_counts(send, recv, context);
  int64_t total = 0;
  for (int64_t n : recv) total += n;
  std::string all(total, '\0');
  c.all_to_all_v_bytes(s.data(), send, all.data(), recv, 1, context);
  std::vector<std::string> out;
  if (c.rank() != root) return out;
  size_t at = 0;
  for (int64_t n : recv) {
    out.push_back(all.substr(at, n));
    at += n;
  }
  return out;
}

std::string host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  return host;
}

std::vector<int> key_ids(Communicator& c, const std::string& key, std::string_view context) {
  std::vector<std::string> keys = gather_strings(c, key, 0, context);
  std::string joined;
  for (const std::string& k : keys) joined += k + '\n';
  broadcast_string(c, joined, 0, context);
  std::map<std::string, int> ids;
  std::vector<int> out;
  for (size_t at = 0, end; (end = joined.find('\n', at)) != std::string::npos; at = end + 1)
    out.push_back(
        ids.emplace(joined.substr(at, end - at), static_cast<int>(ids.size())).first->second);
  return out;
}

void check_same(Communicator& c, uint64_t value, std::string_view what, std::string_view context) {
  uint64_t root = value;
  c.broadcast_bytes(&root, sizeof(root), 0, context);
  double differ = root != value ? 1 : 0;
  c.all_reduce_sum(&differ, 1, context);
  if (differ > 0)
    throw Error("{}: {} differs between ranks ({} of {} ranks disagree with rank 0); the ranks "
                "must run the same build, options, data and checkpoint",
                context, what, static_cast<int>(differ), c.size());
}

namespace {

// One rank: every collective is the identity (or a copy from send to recv).
class LocalCommunicator final : public Communicator {
 public:
  using Communicator::Communicator;
  int rank() const override { return 0; }
  int size() const override { return 1; }
  const char* backend() const override { return "local"; }
  using Communicator::all_reduce_sum;
  void all_reduce_sum(float*, int64_t, std::string_view) override {}
  void all_reduce_sum(double*, int64_t, std::string_view) override {}
  void broadcast_bytes(void*, size_t, int root, std::string_view context) override {
    MOEMT_CHECK(root == 0, "{}: root {} out of range", where("broadcast", context), root);
  }
  void barrier(std::string_view) override {}
  void exchange_counts(const std::vector<int64_t>& send_counts, std::vector<int64_t>& recv_counts,
                       std::string_view context) override {
    MOEMT_CHECK(send_counts.size() == 1, "{}: {} counts for 1 rank",
                where("all_to_all_v", context), send_counts.size());
    recv_counts = send_counts;
  }
  void all_to_all_v_bytes(const void* send, const std::vector<int64_t>& send_counts, void* recv,
                          const std::vector<int64_t>&, size_t row_bytes,
                          std::string_view) override {
    if (send_counts[0] > 0) std::memcpy(recv, send, send_counts[0] * row_bytes);
  }
  std::unique_ptr<Communicator> split(int color, int, std::string_view context) override {
    MOEMT_CHECK(color >= 0, "{}: color {} must be >= 0", where("split", context), color);
    return std::make_unique<LocalCommunicator>(timeout_s());
  }
  void abort(const std::string&) override {}
};

}  // namespace

std::unique_ptr<Communicator> make_local(double timeout_s) {
  return std::make_unique<LocalCommunicator>(timeout_s);
}

bool mpi_built() {
#if MOEMT_WITH_MPI
  return true;
#else
  return false;
#endif
}

}  // namespace moemt::dist
