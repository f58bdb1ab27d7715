// The threads backend: in-process ranks on std::threads sharing memory, for tests. A collective
// is two rendezvous: every rank posts its buffers and waits for all (phase 1), reads what it
// needs from the others' buffers, then waits again (phase 2) so no buffer changes while
// another rank still reads it. A timeout or an abort poisons the whole world, so every rank
// stops with a message instead of waiting for a rank that will never come.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <numeric>

#include "core/error.h"
#include "dist/communicator.h"

namespace moemt::dist {
namespace {

using Clock = std::chrono::steady_clock;

// Shared by every group split from one world: the reason the world was stopped, if it was.
struct WorldState {
  std::mutex mu;
  std::string aborted;  // empty = running
  void set(const std::string& why) {
    std::lock_guard<std::mutex> lk(mu);
    if (aborted.empty()) aborted = why;
  }
  std::string get() {
    std::lock_guard<std::mutex> lk(mu);
    return aborted;
  }
};

struct GroupState;

// What a rank posts for the collective it is in.
struct Slot {
  std::string collective;
  const void* in = nullptr;
  void* out = nullptr;
  int64_t n = 0;
  int root = 0;
  const std::vector<int64_t>* counts = nullptr;
  int color = 0, key = 0;
  std::shared_ptr<GroupState> made;  // split: the group a leader created
};

struct GroupState {
  explicit GroupState(int n, std::shared_ptr<WorldState> w)
      : size(n), world(std::move(w)), slots(n), arrived(n, 0) {}
  const int size;
  std::shared_ptr<WorldState> world;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Slot> slots;
  std::vector<uint8_t> arrived;
  int count = 0;
  uint64_t generation = 0;
};

class ThreadCommunicator final : public Communicator {
 public:
  ThreadCommunicator(std::shared_ptr<GroupState> g, int rank, double timeout_s)
      : Communicator(timeout_s), g_(std::move(g)), rank_(rank) {}

  int rank() const override { return rank_; }
  int size() const override { return g_->size; }
  const char* backend() const override { return "threads"; }

  using Communicator::all_reduce_sum;
  void all_reduce_sum(float* x, int64_t n, std::string_view context) override {
    reduce(x, n, "all_reduce_sum", context);
  }
  void all_reduce_sum(double* x, int64_t n, std::string_view context) override {
    reduce(x, n, "all_reduce_sum(f64)", context);
  }

  void broadcast_bytes(void* data, size_t bytes, int root, std::string_view context) override {
    check_root(root, "broadcast", context);
    Slot& s = post("broadcast", context);
    s.out = data;
    s.n = static_cast<int64_t>(bytes);
    s.root = root;
    rendezvous("broadcast", context);
    const Slot& r = g_->slots[root];
    if (r.n != s.n || r.root != root)
      fail(fmt::format("{}: rank {} broadcasts {} bytes from root {}, this rank expects {} from {}",
                       where("broadcast", context), root, r.n, r.root, s.n, root));
    if (rank_ != root && bytes > 0) std::memcpy(data, r.out, bytes);
    rendezvous("broadcast", context);
  }

  void barrier(std::string_view context) override {
    post("barrier", context);
    rendezvous("barrier", context);
  }

  void exchange_counts(const std::vector<int64_t>& send_counts, std::vector<int64_t>& recv_counts,
                       std::string_view context) override {
    MOEMT_CHECK(static_cast<int>(send_counts.size()) == size(), "{}: {} counts for {} ranks",
                where("all_to_all_v counts", context), send_counts.size(), size());
    Slot& s = post("all_to_all_v counts", context);
    s.counts = &send_counts;
    rendezvous("all_to_all_v counts", context);
    recv_counts.resize(size());
    for (int r = 0; r < size(); ++r) recv_counts[r] = (*g_->slots[r].counts)[rank_];
    rendezvous("all_to_all_v counts", context);
  }

  void all_to_all_v_bytes(const void* send, const std::vector<int64_t>& send_counts, void* recv,
                          const std::vector<int64_t>& recv_counts, size_t row_bytes,
                          std::string_view context) override {
    Slot& s = post("all_to_all_v", context);
    s.in = send;
    s.counts = &send_counts;
    s.n = static_cast<int64_t>(row_bytes);
    rendezvous("all_to_all_v", context);
    char* out = static_cast<char*>(recv);
    for (int r = 0; r < size(); ++r) {
      const Slot& o = g_->slots[r];
      if (o.n != s.n)
        fail(fmt::format("{}: rank {} sends rows of {} bytes, this rank {}",
                         where("all_to_all_v", context), r, o.n, s.n));
      const std::vector<int64_t>& oc = *o.counts;
      if (oc[rank_] != recv_counts[r])
        fail(fmt::format("{}: rank {} sends {} rows, this rank expects {}",
                         where("all_to_all_v", context), r, oc[rank_], recv_counts[r]));
      int64_t offset = std::accumulate(oc.begin(), oc.begin() + rank_, int64_t{0});
      if (oc[rank_] > 0)
        std::memcpy(out, static_cast<const char*>(o.in) + offset * row_bytes, oc[rank_] * row_bytes);
      out += oc[rank_] * row_bytes;
    }
    rendezvous("all_to_all_v", context);
  }

  std::unique_ptr<Communicator> split(int color, int key, std::string_view context) override {
    MOEMT_CHECK(color >= 0, "{}: color {} must be >= 0", where("split", context), color);
    Slot& s = post("split", context);
    s.color = color;
    s.key = key;
    rendezvous("split", context);
    // Members in (key, old rank) order; the first member (lowest key) creates the group.
    std::vector<int> members;
    for (int r = 0; r < size(); ++r)
      if (g_->slots[r].color == color) members.push_back(r);
    std::stable_sort(members.begin(), members.end(),
                     [&](int a, int b) { return g_->slots[a].key < g_->slots[b].key; });
    const int new_rank = static_cast<int>(std::find(members.begin(), members.end(), rank_) - members.begin());
    if (new_rank == 0)
      s.made = std::make_shared<GroupState>(static_cast<int>(members.size()), g_->world);
    rendezvous("split", context);
    auto made = g_->slots[members[0]].made;
    rendezvous("split", context);
    if (new_rank == 0) s.made.reset();
    return std::make_unique<ThreadCommunicator>(std::move(made), new_rank, timeout_s());
  }

  void abort(const std::string& why) override {
    g_->world->set(fmt::format("rank {} failed: {}", rank_, why));
  }

 private:
  void check_root(int root, const char* what, std::string_view context) const {
    MOEMT_CHECK(root >= 0 && root < size(), "{}: root {} out of range", where(what, context), root);
  }

  [[noreturn]] void fail(const std::string& msg) {
    g_->world->set(msg);
    throw Error("{}", msg);
  }

  Slot& post(const char* collective, std::string_view context) {
    Slot& s = g_->slots[rank_];
    s = Slot{};
    s.collective = collective;
    return s;
  }

  // Waits until every rank of the group has arrived; throws on abort, timeout or when another
  // rank is in a different collective.
  void rendezvous(const char* collective, std::string_view context) {
    GroupState& g = *g_;
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(timeout_s()));
    std::unique_lock<std::mutex> lk(g.mu);
    auto stopped = [&] {
      std::string why = g.world->get();
      if (!why.empty()) throw Error("{}: stopped because {}", where(collective, context), why);
    };
    stopped();
    const uint64_t gen = g.generation;
    g.arrived[rank_] = 1;
    if (++g.count == g.size) {
      for (int r = 0; r < g.size; ++r)
        if (g.slots[r].collective != g.slots[rank_].collective) {
          std::string msg = fmt::format("{}: rank {} is in {} instead (collectives out of order)",
                                        where(collective, context), r, g.slots[r].collective);
          g.world->set(msg);
          g.cv.notify_all();
          throw Error("{}", msg);
        }
      g.count = 0;
      std::fill(g.arrived.begin(), g.arrived.end(), 0);
      ++g.generation;
      g.cv.notify_all();
      return;
    }
    while (g.generation == gen) {
      // Short waits, so an abort from a rank of another group (split) is seen promptly.
      g.cv.wait_for(lk, std::chrono::milliseconds(10));
      if (g.generation != gen) break;
      stopped();
      if (Clock::now() >= deadline) {
        std::vector<int> missing;
        for (int r = 0; r < g.size; ++r)
          if (!g.arrived[r]) missing.push_back(r);
        std::string msg = fmt::format("{}: timed out after {} s waiting for rank(s) {} (--comm-timeout)",
                                      where(collective, context), timeout_s(),
                                      fmt::join(missing, ", "));
        g.world->set(msg);
        g.cv.notify_all();
        throw Error("{}", msg);
      }
    }
  }

  template <typename T>
  void reduce(T* x, int64_t n, const char* collective, std::string_view context) {
    Slot& s = post(collective, context);
    s.out = x;
    s.n = n;
    rendezvous(collective, context);
    for (int r = 0; r < size(); ++r)
      if (g_->slots[r].n != n)
        fail(fmt::format("{}: rank {} reduces {} values, this rank {}", where(collective, context),
                         r, g_->slots[r].n, n));
    // Sum in rank order into a private buffer: every rank gets bitwise the same values.
    std::vector<T> sum(static_cast<const T*>(g_->slots[0].out),
                       static_cast<const T*>(g_->slots[0].out) + n);
    for (int r = 1; r < size(); ++r) {
      const T* o = static_cast<const T*>(g_->slots[r].out);
      for (int64_t i = 0; i < n; ++i) sum[i] += o[i];
    }
    rendezvous(collective, context);
    std::copy(sum.begin(), sum.end(), x);
  }

  std::shared_ptr<GroupState> g_;
  int rank_;
};

}  // namespace

std::vector<std::unique_ptr<Communicator>> make_thread_group(int n, double timeout_s) {
  MOEMT_CHECK(n >= 1, "a thread group needs at least one rank, got {}", n);
  auto g = std::make_shared<GroupState>(n, std::make_shared<WorldState>());
  std::vector<std::unique_ptr<Communicator>> out;
  for (int r = 0; r < n; ++r) out.push_back(std::make_unique<ThreadCommunicator>(g, r, timeout_s));
  return out;
}

}  // namespace moemt::dist
