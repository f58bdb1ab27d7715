// The MoE layer's per-call saved state (several forwards before their backwards) and expert
// parallelism over in-process ranks (dist threads backend): forward and backward equal the
// one-process layer, with uneven and empty per-rank token counts; capacity from global counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <thread>

#include "dist/communicator.h"
#include "moe/moe_layer.h"
#include "moe_fixture.h"

namespace moemt::moe {
namespace {

using testing::MoeFixture;

// Dropless, noiseless, no balancing losses: the layer is a pure function of its rows, so
// splitting the rows over ranks must not change any row's result.
MoeConfig exact_config(bool shared, bool learned_groups) {
  MoeConfig c;
  c.num_experts = 8;
  c.top_k = 2;
  c.router_init_std = 0.5f;
  c.capacity_factor_train = 0.f;
  c.switch_loss_coef = c.z_loss_coef = 0.f;
  c.num_shared_experts = shared ? 1 : 0;
  if (learned_groups) {
    c.group_by = GroupBy::learned;
    c.num_groups = 2;
  }
  return c;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double w = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    w = std::max(w, static_cast<double>(std::abs(a[i] - b[i])));
  return w;
}

std::vector<float> rows_of(const Tensor& t, int64_t start, int64_t n) {
  return t.narrow(start, n).clone().to_vector();
}

TEST(MoeLayerSaved, InterleavedCallsEqualSeparateCalls) {
  // forward(x1), forward(x2), backward(dy2), backward(dy1) gives each call's own output and
  // input gradient (bitwise) and the sum of both calls' parameter gradients.
  for (bool learned : {false, true}) {
    MoeConfig c = exact_config(true, learned);
    Tensor x1 = nn::random_tensor({9, 6}, 1), x2 = nn::random_tensor({5, 6}, 2);
    Tensor d1 = nn::random_tensor({9, 6}, 3), d2 = nn::random_tensor({5, 6}, 4);
    MoeFixture sep(c), both(c);
    sep.ps.zero_grad();
    Tensor y1 = sep.layer->forward(sep.ctx, x1), dx1 = sep.layer->backward(sep.ctx, d1);
    Tensor y2 = sep.layer->forward(sep.ctx, x2), dx2 = sep.layer->backward(sep.ctx, d2);
    both.ps.zero_grad();
    MoeLayer::Saved s1, s2;
    Tensor z1 = both.layer->forward(both.ctx, x1, s1), z2 = both.layer->forward(both.ctx, x2, s2);
    Tensor e2 = both.layer->backward(both.ctx, d2, s2), e1 = both.layer->backward(both.ctx, d1, s1);
    EXPECT_EQ(y1.to_vector(), z1.to_vector()) << "learned=" << learned;
    EXPECT_EQ(y2.to_vector(), z2.to_vector());
    EXPECT_EQ(dx1.to_vector(), e1.to_vector());
    EXPECT_EQ(dx2.to_vector(), e2.to_vector());
    EXPECT_LT(max_diff(sep.ps.grads().to_vector(), both.ps.grads().to_vector()), 1e-5);
  }
}

// Runs fn(rank, communicator) on n thread ranks; rethrows the first error.
void on_ranks(int n, const std::function<void(int, dist::Communicator&)>& fn) {
  auto comms = dist::make_thread_group(n, 30);
  std::vector<std::string> errors(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r)
    threads.emplace_back([&, r] {
      try {
        fn(r, *comms[r]);
      } catch (const std::exception& e) {
        errors[r] = e.what();
        comms[r]->abort(e.what());
      }
    });
  for (auto& t : threads) t.join();
  for (int r = 0; r < n; ++r) ASSERT_EQ(errors[r], "") << "rank " << r;
}

struct RankResult {
  Tensor y, dx, grads;
  int first = 0, local = 0;
  HostRoutingPlan plan;
};

// The layer over `counts[r]` rows per rank (rank r takes the next counts[r] rows of x).
std::vector<RankResult> expert_parallel(const MoeConfig& c, const Tensor& x, const Tensor& dy,
                                        const std::vector<int64_t>& counts) {
  const int g = static_cast<int>(counts.size());
  std::vector<RankResult> out(g);
  on_ranks(g, [&](int r, dist::Communicator& comm) {
    MoeFixture f(c);
    f.layer->set_expert_group(&comm);
    int64_t start = 0;
    for (int q = 0; q < r; ++q) start += counts[q];
    f.ps.zero_grad();
    f.ctx.begin_step(1);
    out[r].y = f.layer->forward(f.ctx, x.narrow(start, counts[r]).clone());
    out[r].plan = f.layer->plan().read_to_host();
    out[r].dx = f.layer->backward(f.ctx, dy.narrow(start, counts[r]).clone());
    out[r].grads = f.ps.grads().clone();
    out[r].first = f.layer->first_local_expert();
    out[r].local = f.layer->num_local_experts();
  });
  return out;
}

TEST(ExpertParallel, ForwardBackwardEqualOneProcessWithUnevenAndEmptyRanks) {
  // (Learned groups are left out: their group gate is noisy in training, drawn per row.)
  struct Case {
    std::vector<int64_t> counts;
    bool shared, learned;
  };
  for (const Case& cs : {Case{{7, 13}, false, false}, Case{{0, 11}, true, false},
                         Case{{6, 0, 9, 3}, true, false}, Case{{0, 0}, false, false}}) {
    MoeConfig c = exact_config(cs.shared, cs.learned);
    int64_t n = 0;
    for (int64_t k : cs.counts) n += k;
    Tensor x = nn::random_tensor({n, 6}, 11), dy = nn::random_tensor({n, 6}, 12);
    MoeFixture one(c);
    one.ps.zero_grad();
    Tensor y = one.layer->forward(one.ctx, x), dx = one.layer->backward(one.ctx, dy);
    const std::vector<float> g1 = one.ps.grads().to_vector();
    auto ranks = expert_parallel(c, x, dy, cs.counts);
    const std::string what = fmt::format("counts {}", fmt::join(cs.counts, ","));
    int64_t start = 0;
    std::vector<double> dense(one.ps.dense_numel(), 0.0);
    for (size_t r = 0; r < ranks.size(); ++r) {
      const int64_t m = cs.counts[r];
      if (m > 0) {
        EXPECT_LT(max_diff(ranks[r].y.to_vector(), rows_of(y, start, m)), 1e-5) << what;
        EXPECT_LT(max_diff(ranks[r].dx.to_vector(), rows_of(dx, start, m)), 1e-5) << what;
      }
      start += m;
      std::vector<float> gr = ranks[r].grads.to_vector();
      for (int64_t i = 0; i < one.ps.dense_numel(); ++i) dense[i] += gr[i];
      // Each expert's gradient lives on the rank that runs it, and only there.
      for (int e = 0; e < c.num_experts; ++e)
        for (const char* p : {"w1", "b1", "w2", "b2"}) {
          const Param q = one.ps.get(fmt::format("moe.experts.{}.{}", e, p));
          const ParamInfo& info = one.ps.info(q.id);
          std::vector<float> want = q.g().to_vector(),
                             got(gr.begin() + info.offset,
                                 gr.begin() + info.offset + info.shape.numel());
          const bool local = e >= ranks[r].first && e < ranks[r].first + ranks[r].local;
          if (!local) std::fill(want.begin(), want.end(), 0.f);
          EXPECT_LT(max_diff(got, want), 1e-5) << what << " rank " << r << " expert " << e;
        }
    }
    // Dense gradients (router, shared experts) are per-rank parts of the one-process sum.
    double worst = 0;
    for (int64_t i = 0; i < one.ps.dense_numel(); ++i)
      worst = std::max(worst, std::abs(dense[i] - g1[i]));
    EXPECT_LT(worst, 1e-5) << what;
  }
}

TEST(ExpertParallel, CapacityComesFromGlobalCounts) {
  // With a capacity factor, each expert keeps min(demand, C) slots over all ranks, where C and
  // the demand are those of the one-process layer on the whole batch.
  MoeConfig c = exact_config(false, false);
  c.capacity_factor_train = 0.5f;
  c.min_capacity = 1;
  for (const std::vector<int64_t>& counts :
       {std::vector<int64_t>{11, 4}, std::vector<int64_t>{9, 0, 3, 5}}) {
    int64_t n = 0;
    for (int64_t k : counts) n += k;
    Tensor x = nn::random_tensor({n, 6}, 21), dy = nn::random_tensor({n, 6}, 22);
    MoeFixture one(c);
    one.layer->forward(one.ctx, x);
    const HostRoutingPlan p1 = one.layer->plan().read_to_host();
    auto ranks = expert_parallel(c, x, dy, counts);
    int64_t dropped = 0;
    for (int e = 0; e < c.num_experts; ++e) {
      int64_t kept = 0, demand = 0;
      for (const RankResult& r : ranks) {
        kept += r.plan.rows_of(e);
        demand += r.plan.demand[e];
      }
      EXPECT_EQ(demand, p1.demand[e]) << "expert " << e;
      EXPECT_EQ(kept, std::min(p1.demand[e], p1.capacity[e])) << "expert " << e;
      dropped += demand - kept;
    }
    EXPECT_GT(dropped, 0) << "capacity factor 0.5 must drop slots";
  }
}

TEST(ExpertParallel, MissingRankTimesOutNamingTheLayerAndUpdate) {
  // Rank 1 never runs the layer: rank 0's dispatch fails after the timeout, naming its rank,
  // the collective, the MoE layer and the update, instead of hanging.
  auto comms = dist::make_thread_group(2, 0.5);
  std::string error;
  std::thread t([&] {
    try {
      MoeFixture f(exact_config(false, false));
      f.layer->set_expert_group(comms[0].get());
      f.ctx.begin_step(7);
      f.layer->forward(f.ctx, nn::random_tensor({5, 6}, 1));
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  t.join();
  EXPECT_NE(error.find("rank 0 of 2 (threads): all_to_all_v (moe dispatch, update 7)"),
            std::string::npos)
      << error;
}

}  // namespace
}  // namespace moemt::moe
