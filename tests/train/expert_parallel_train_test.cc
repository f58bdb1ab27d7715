// Expert-parallel training with in-process ranks (dist threads backend): the gradients of a
// global batch equal the one-process gradients on the ranks that own them (an empty shard
// included), and a checkpoint written by 2 expert-parallel ranks holds every trained expert and
// resumes on 1 and on 3 ranks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <thread>

#include "core/file_io.h"
#include "tiny_training.h"
#include "train/expert_shard.h"
#include "train/trainer.h"

namespace moemt::train {
namespace {

std::string fresh_dir(const std::string& name) { return testing::fresh_dir("moemt_ep", name); }

// 6 experts so that groups of 2 and 3 ranks both divide them.
TrainOptions exact_options(const std::string& dir) { return testing::exact_moe_options(dir, 6); }

std::string shared_vocab() {
  static std::string path = [] {
    Trainer t(exact_options(fresh_dir("vocab_model")));
    std::string p = fresh_dir("vocab.spm");
    t.vocab().save(p);
    return p;
  }();
  return path;
}

TrainOptions options(const std::string& dir, int expert_parallel) {
  auto o = exact_options(dir);
  o.vocab_path = shared_vocab();
  o.expert_parallel = expert_parallel;
  return o;
}

std::vector<std::string> on_ranks(int n, const std::function<void(int, dist::Communicator&)>& fn) {
  auto comms = dist::make_thread_group(n, 60);
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
  return errors;
}

struct RankGrads {
  std::vector<float> grads;
  int64_t dense = 0, full = 0;
  struct Held {
    int64_t offset, full_offset, numel;
  };
  std::vector<Held> experts;  // this rank's expert parameters
};

// Each rank's gradient buffer after compute_gradients on `batch`.
std::vector<RankGrads> rank_grads(int n, int ep, const data::Batch& batch) {
  std::vector<RankGrads> out(n);
  auto errors = on_ranks(n, [&](int r, dist::Communicator& comm) {
    Trainer t(options(fresh_dir(fmt::format("grad_{}_{}", n, ep)), ep), "", &comm);
    nn::Ctx c;
    c.training = true;
    c.begin_step(1);
    t.compute_gradients(c, batch, "update 1");
    const ParamStore& ps = t.model().params();
    out[r].grads = ps.grads().to_vector();
    out[r].dense = ps.dense_numel();
    out[r].full = ps.full_numel();
    ASSERT_NE(t.expert_shard(), nullptr);
    for (int id = 0; id < ps.size(); ++id)
      if (ps.resident(id) && ps.info(id).group == ParamGroup::expert)
        out[r].experts.push_back(
            {ps.info(id).offset, ps.info(id).full_offset, ps.info(id).shape.numel()});
  });
  for (int r = 0; r < n; ++r) EXPECT_EQ(errors[r], "") << "rank " << r;
  return out;
}

TEST(ExpertParallelTraining, GradientsEqualOneProcessOnTheOwningRanks) {
  Trainer one(options(fresh_dir("grad_1"), 1));
  data::Batch batch, single;
  ASSERT_TRUE(one.batches().next(batch));
  ASSERT_GE(batch.batch_size, 4);
  data::shard_batch(batch, 0, batch.batch_size, single);  // 1 sentence: rank 1's shard is empty
  for (const data::Batch* b : {&batch, &single}) {
    nn::Ctx ctx;
    ctx.training = true;
    ctx.begin_step(1);
    one.compute_gradients(ctx, *b, "update 1");
    const std::vector<float> g1 = one.model().params().grads().to_vector();
    double gmax = 0;
    for (float g : g1) gmax = std::max(gmax, static_cast<double>(std::fabs(g)));
    ASSERT_GT(gmax, 0);
    struct Shape {
      int ranks, ep;
    };
    // Groups of 2 and 3 ranks; 4 ranks = 2 groups of 2, each expert with 2 replicas.
    for (Shape s : {Shape{2, 2}, Shape{3, 3}, Shape{4, 2}}) {
      if (b == &single && s.ranks != 2) continue;
      auto ranks = rank_grads(s.ranks, s.ep, *b);
      const std::string what =
          fmt::format("{} ranks, groups of {}, {} sentences", s.ranks, s.ep, b->batch_size);
      // Stated tolerance as for data parallelism: 1e-5 of the largest gradient component.
      for (const RankGrads& r : ranks) {
        // Each rank holds the dense parameters and 1/ep of the experts, nothing more.
        ASSERT_EQ(r.full, static_cast<int64_t>(g1.size())) << what;
        EXPECT_EQ(static_cast<int64_t>(r.grads.size()), r.dense + (r.full - r.dense) / s.ep)
            << what;
        double worst = 0;
        for (int64_t i = 0; i < r.dense; ++i)
          worst = std::max(worst, static_cast<double>(std::fabs(r.grads[i] - g1[i])));
        int64_t held = 0;
        for (const RankGrads::Held& h : r.experts) {
          for (int64_t i = 0; i < h.numel; ++i)
            worst = std::max(worst, static_cast<double>(
                                        std::fabs(r.grads[h.offset + i] - g1[h.full_offset + i])));
          held += h.numel;
        }
        EXPECT_LE(worst, 1e-5 * gmax) << what;
        int64_t experts = 0;  // one process: every expert's values, padding excluded
        const ParamStore& ps = one.model().params();
        for (int id = 0; id < ps.size(); ++id)
          if (ps.info(id).group == ParamGroup::expert) experts += ps.info(id).shape.numel();
        EXPECT_EQ(held * s.ep, experts) << what;
      }
    }
  }
}

nlohmann::json state_of(const std::string& dir) {
  std::ifstream in(dir + "/state.json");
  return nlohmann::json::parse(in);
}

// The store's values as a trainer resuming from `dir` loads them.
std::vector<float> checkpoint_values(const std::string& dir, int64_t* dense) {
  auto o = options(dir, 1);
  o.resume = true;
  Trainer t(o);
  *dense = t.model().params().dense_numel();
  return t.model().params().values().to_vector();
}

TEST(ExpertParallelTraining, TwoRankCheckpointHoldsEveryExpertAndResumesOnOneAndThree) {
  const std::string a = fresh_dir("ep2"), ref4 = fresh_dir("ref4"), ref6 = fresh_dir("ref6");
  auto o4 = options(ref4, 1);
  o4.after = {Amount::updates, 4};
  const TrainResult r4 = Trainer(o4).run();
  int64_t dense = 0;
  const std::vector<float> one = checkpoint_values(ref4, &dense);
  Trainer init(options(fresh_dir("init"), 1));
  const std::vector<float> v0 = init.model().params().values().to_vector();
  // 2 ranks in a group of 2 (checkpoint `a`, resumed below), and 4 ranks in 2 groups of 2 (the
  // experts are gathered from rank 0's group only).
  for (int ranks : {2, 4}) {
    const std::string dir = ranks == 2 ? a : fresh_dir("ep2x2");
    std::vector<TrainResult> res(ranks);
    auto errors = on_ranks(ranks, [&](int r, dist::Communicator& comm) {
      auto o = options(dir, 2);
      o.after = {Amount::updates, 4};
      res[r] = Trainer(o, "", &comm).run();
    });
    for (int r = 0; r < ranks; ++r) ASSERT_EQ(errors[r], "") << ranks << " ranks, rank " << r;
    ASSERT_EQ(res[0].update_losses.size(), 4u);
    for (int i = 0; i < 4; ++i)
      EXPECT_NEAR(res[0].update_losses[i], r4.update_losses[i], 1e-4) << ranks << " ranks";
    EXPECT_EQ(state_of(dir)["data_position"], state_of(ref4)["data_position"]);

    // Every expert in the checkpoint is trained (rank 1's experts too): the values agree with
    // the one-process run (Adam amplifies summation-order differences of tiny gradients, so
    // the median difference is compared) and differ from the initial values.
    const std::vector<float> ep = checkpoint_values(dir, &dense);
    ASSERT_EQ(ep.size(), one.size());
    std::vector<double> diff, moved;
    for (size_t i = dense; i < ep.size(); ++i) {
      diff.push_back(std::fabs(ep[i] - one[i]));
      moved.push_back(std::fabs(one[i] - v0[i]));
    }
    auto median = [](std::vector<double> v) {
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      return v[v.size() / 2];
    };
    EXPECT_LT(median(diff), 1e-6) << ranks << " ranks";
    EXPECT_GT(median(moved), 1e-4) << ranks << " ranks";
  }

  auto o6 = options(ref6, 1);
  o6.after = {Amount::updates, 6};
  const TrainResult r6 = Trainer(o6).run();
  // Resume on 1 process, and on 3 ranks in groups of 3 (a fresh copy of the checkpoint each).
  for (int ranks : {1, 3}) {
    const std::string b = fresh_dir(fmt::format("resume_{}", ranks));
    std::filesystem::copy(a, b, std::filesystem::copy_options::recursive);
    std::vector<TrainResult> res(ranks);
    auto errs = on_ranks(ranks, [&](int r, dist::Communicator& comm) {
      auto o = options(b, ranks);
      o.after = {Amount::updates, 6};
      o.resume = true;
      res[r] = Trainer(o, "", &comm).run();
    });
    for (int r = 0; r < ranks; ++r) ASSERT_EQ(errs[r], "") << "rank " << r;
    ASSERT_EQ(res[0].update_losses.size(), 2u) << ranks << " ranks";
    for (int i = 0; i < 2; ++i)
      EXPECT_NEAR(res[0].update_losses[i], r6.update_losses[4 + i], 1e-4) << ranks << " ranks";
  }
}

TEST(ExpertParallelTraining, RanksHoldOnlyTheirExpertsAndResumeExactly) {
  // With smoothing (the average and the raw weights are gathered too) and validation every 2
  // updates (rank 0 validates the gathered model, and writes the best one). a: 4 updates, then
  // resumed to 8 on 2 ranks; c: 8 updates on 2 ranks at once; one: 8 updates in one process.
  const std::string a = fresh_dir("exact_a"), c = fresh_dir("exact_c"), one = fresh_dir("exact_1");
  auto opts = [](const std::string& dir, int ep, int64_t updates) {
    auto o = options(dir, ep);
    o.exponential_smoothing = 1e-2f;
    o.valid_pairs = {o.train_pairs[0]};
    o.valid_freq = {Amount::updates, 2};
    o.valid_translations = 0;
    o.after = {Amount::updates, updates};
    return o;
  };
  struct Held {
    int64_t numel = 0, full = 0, dense = 0;
  };
  auto on_two = [&](const std::string& dir, int64_t updates, bool resume) {
    std::vector<TrainResult> res(2);
    std::vector<Held> held(2);
    auto errors = on_ranks(2, [&](int r, dist::Communicator& comm) {
      auto o = opts(dir, 2, updates);
      o.resume = resume;
      Trainer t(o, "", &comm);
      const ParamStore& ps = t.model().params();
      held[r] = {ps.numel(), ps.full_numel(), ps.dense_numel()};
      res[r] = t.run();
    });
    for (int r = 0; r < 2; ++r) EXPECT_EQ(errors[r], "") << "rank " << r;
    for (const Held& h : held) {
      // The dense parameters and half the experts: every per-parameter buffer (values,
      // gradients, moments, average, raw weights) is that long.
      EXPECT_EQ(h.numel, h.dense + (h.full - h.dense) / 2);
      EXPECT_LT(h.numel, h.full);
    }
    return res[0];
  };
  on_two(a, 4, false);
  const TrainResult resumed = on_two(a, 8, true), at_once = on_two(c, 8, false);
  const TrainResult ref = Trainer(opts(one, 1, 8)).run();
  ASSERT_EQ(resumed.update_losses.size(), 4u);
  ASSERT_EQ(at_once.update_losses.size(), 8u);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(resumed.update_losses[i], at_once.update_losses[4 + i]) << "update " << 5 + i;
  // The gathered model, average and optimizer state agree to the byte.
  EXPECT_EQ(read_file(a + "/model.safetensors"), read_file(c + "/model.safetensors"));
  EXPECT_EQ(read_file(a + "/optimizer.safetensors"), read_file(c + "/optimizer.safetensors"));
  // Against one process (all experts in one store): losses and validation scores within 1e-4.
  ASSERT_EQ(ref.update_losses.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(at_once.update_losses[i], ref.update_losses[i], 1e-4);
  ASSERT_EQ(at_once.valid_scores.size(), 4u);
  ASSERT_EQ(ref.valid_scores.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(at_once.valid_scores[i], ref.valid_scores[i], 1e-4);
}

TEST(ExpertParallelTraining, RankCountAndExpertCountMustDivide) {
  auto errors = on_ranks(3, [&](int, dist::Communicator& comm) {
    Trainer t(options(fresh_dir("bad_ranks"), 2), "", &comm);
  });
  EXPECT_NE(errors[0].find("--expert-parallel 2: must divide the number of ranks (3)"),
            std::string::npos)
      << errors[0];
  errors = on_ranks(2, [&](int, dist::Communicator& comm) {
    auto o = options(fresh_dir("bad_experts"), 2);
    o.model.moe.decoder.num_experts = 3;
    Trainer t(o, "", &comm);
  });
  EXPECT_NE(errors[0].find("must divide the expert count of every MoE layer"), std::string::npos)
      << errors[0];
}

TEST(ExpertParallelTraining, ExpertGroupsFollowNodesAndKeepRoutingGroupsOnOneNode) {
  // 4 ranks mapped round-robin on 2 nodes (mpirun --map-by node) and MoE layers of 12 experts
  // in 3 learned routing groups. --expert-parallel 2: the expert groups are world ranks {0, 2}
  // (node 0) and {1, 3} (node 1), not {0, 1} and {2, 3}. --expert-parallel 4 on nodes {0, 1}
  // and {2, 3}: routing group 1 (experts 4..7) would need ranks 1 and 2, an error on every rank.
  std::vector<double> members(4);
  std::vector<int> group_rank(4), group_nodes(4);
  std::vector<std::string> placement_errors(4);
  auto errors = on_ranks(4, [&](int r, dist::Communicator& comm) {
    auto o = options(fresh_dir("nodes"), 1);
    for (auto* m : {&o.model.moe.encoder, &o.model.moe.decoder}) {
      m->num_experts = 12;
      m->group_by = moe::GroupBy::learned;
      m->num_groups = 3;
    }
    Trainer t(o, "", &comm);
    {
      ExpertShard shard(comm, 2, t.model(), {0, 1, 0, 1});
      members[r] = r;
      shard.expert_group().all_reduce_sum(&members[r], 1, "members");
      group_rank[r] = shard.expert_group().rank();
      group_nodes[r] = shard.group_nodes();
    }
    try {
      ExpertShard shard(comm, 4, t.model(), {0, 0, 1, 1});
    } catch (const Error& e) {
      placement_errors[r] = e.what();
    }
  });
  for (int r = 0; r < 4; ++r) {
    ASSERT_EQ(errors[r], "") << "rank " << r;
    EXPECT_EQ(members[r], r % 2 == 0 ? 0 + 2 : 1 + 3) << "rank " << r;
    EXPECT_EQ(group_rank[r], r / 2) << "rank " << r;
    EXPECT_EQ(group_nodes[r], 1) << "rank " << r;
    EXPECT_NE(placement_errors[r].find("routing group 1 of 3 (experts [4, 8)) would span 2 nodes"),
              std::string::npos)
        << "rank " << r << ": " << placement_errors[r];
  }
}

}  // namespace
}  // namespace moemt::train
