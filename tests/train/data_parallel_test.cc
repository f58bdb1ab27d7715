// Data-parallel training with in-process ranks (dist threads backend): the summed gradients of
// a global batch equal the one-process gradients (--optimizer-delay too), a checkpoint written by 2
// ranks resumes on 1 at the same data position, and a failing or missing rank stops the others with
// a message.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/file_io.h"
#include "tiny_training.h"
#include "train/trainer.h"

namespace moemt::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string fresh_dir(const std::string& name) { return testing::fresh_dir("moemt_dp", name); }

TrainOptions exact_options(const std::string& dir) { return testing::exact_moe_options(dir); }

// The vocabulary is trained once and shared, so each Trainer only loads it.
std::string shared_vocab() {
  static std::string path = [] {
    auto o = exact_options(fresh_dir("vocab_model"));
    Trainer t(o);
    std::string p = fresh_dir("vocab.spm");
    t.vocab().save(p);
    return p;
  }();
  return path;
}

TrainOptions options(const std::string& dir) {
  auto o = exact_options(dir);
  o.vocab_path = shared_vocab();
  return o;
}

// Runs fn(rank, communicator) on n thread ranks; returns each rank's error ("" = none).
std::vector<std::string> on_ranks(int n, const std::function<void(int, dist::Communicator&)>& fn) {
  auto comms = dist::make_thread_group(n);
  std::vector<std::string> errors(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r)
    threads.emplace_back([&, r] {
      try {
        fn(r, *comms[r]);
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  return errors;
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

nlohmann::json state_of(const std::string& dir) {
  std::ifstream in(dir + "/state.json");
  return nlohmann::json::parse(in);
}

}  // namespace

TEST(DataParallel, GradientsOfAGlobalBatchEqualOneProcess) {
  auto o = options(fresh_dir("grad_1"));
  Trainer one(o);
  data::Batch batch;
  ASSERT_TRUE(one.batches().next(batch));
  ASSERT_GE(batch.batch_size, 3);
  nn::Ctx ctx;
  ctx.training = true;
  ctx.begin_step(1);
  auto want = one.compute_gradients(ctx, batch, "update 1").loss.read_to_host();
  std::vector<float> g1 = one.model().params().grads().to_vector();
  double gmax = 0;
  for (float g : g1) gmax = std::max(gmax, static_cast<double>(std::fabs(g)));
  ASSERT_GT(gmax, 0);

  for (int n : {2, 3}) {
    std::vector<std::vector<float>> grads(n);
    std::vector<model::HostLossStats> stats(n);
    auto errors = on_ranks(n, [&](int r, dist::Communicator& comm) {
      auto o = options(fresh_dir("grad_" + std::to_string(n)));
      // 3 ranks: gradients summed in buckets of 10 KB (dozens of buckets), not in one.
      if (n == 3) o.bucket_cap_mb = 0.01;
      Trainer t(o, "", &comm);
      nn::Ctx c;
      c.training = true;
      c.begin_step(1);
      stats[r] = t.compute_gradients(c, batch, "update 1").loss.read_to_host();
      grads[r] = t.model().params().grads().to_vector();
    });
    for (int r = 0; r < n; ++r) ASSERT_EQ(errors[r], "") << "rank " << r;
    // Every rank holds bitwise the same sum (the replicas stay identical).
    for (int r = 1; r < n; ++r) EXPECT_EQ(grads[r], grads[0]) << n << " ranks, rank " << r;
    // Shards differ from the whole batch in padding and summation order only: stated
    // tolerance 1e-5 of the largest gradient component (measured: 4e-7), 1e-5 relative for
    // the loss.
    ASSERT_EQ(grads[0].size(), g1.size());
    double worst = 0;
    for (size_t i = 0; i < g1.size(); ++i)
      worst = std::max(worst, static_cast<double>(std::fabs(grads[0][i] - g1[i])));
    EXPECT_LE(worst, 1e-5 * gmax) << n << " ranks; largest gradient " << gmax;
    EXPECT_EQ(stats[0].tokens, want.tokens);
    EXPECT_NEAR(stats[0].loss_sum, want.loss_sum, 1e-5 * want.loss_sum);
    EXPECT_NEAR(stats[0].nll_sum, want.nll_sum, 1e-5 * want.nll_sum);
  }
}

TEST(DataParallel, OptimizerDelayOnTwoRanksEqualsOneProcess) {
  // --optimizer-delay: every rank takes its shard of each mini-batch of the update. The
  // gradients of 3 mini-batches (the last of one sentence, so rank 1's shard of it is empty)
  // summed over 2 ranks equal one process's, with the tolerance of one batch above. Every token
  // goes to all 4 experts here: with top-2, a token whose 2nd and 3rd expert nearly tie may
  // choose differently under another summation order (seen with these batches: one expert's
  // gradient 3e-3 of its largest component apart, 4e-5 of the largest gradient).
  auto all_experts = [](const std::string& dir) {
    auto o = options(dir);
    for (auto* m : {&o.model.moe.encoder, &o.model.moe.decoder}) m->top_k = m->num_experts;
    return o;
  };
  Trainer one(all_experts(fresh_dir("delay_grad_1")));
  std::vector<data::Batch> micro(3);
  ASSERT_TRUE(one.batches().next(micro[0]));
  ASSERT_TRUE(one.batches().next(micro[1]));
  data::Batch third;
  ASSERT_TRUE(one.batches().next(third));
  data::shard_batch(third, 0, third.batch_size, micro[2]);
  ASSERT_EQ(micro[2].batch_size, 1);
  nn::Ctx ctx;
  ctx.training = true;
  ctx.begin_step(1);
  const auto want = one.compute_gradients(ctx, micro, "update 1").loss.read_to_host();
  const std::vector<float> g1 = one.model().params().grads().to_vector();
  double gmax = 0;
  for (float g : g1) gmax = std::max(gmax, static_cast<double>(std::fabs(g)));
  ASSERT_GT(gmax, 0);
  std::vector<std::vector<float>> grads(2);
  std::vector<model::HostLossStats> stats(2);
  auto errors = on_ranks(2, [&](int r, dist::Communicator& comm) {
    Trainer t(all_experts(fresh_dir("delay_grad_2")), "", &comm);
    nn::Ctx c;
    c.training = true;
    c.begin_step(1);
    stats[r] = t.compute_gradients(c, micro, "update 1").loss.read_to_host();
    grads[r] = t.model().params().grads().to_vector();
  });
  for (int r = 0; r < 2; ++r) ASSERT_EQ(errors[r], "") << "rank " << r;
  EXPECT_EQ(grads[1], grads[0]);
  ASSERT_EQ(grads[0].size(), g1.size());
  double worst = 0;
  for (size_t i = 0; i < g1.size(); ++i)
    worst = std::max(worst, static_cast<double>(std::fabs(grads[0][i] - g1[i])));
  EXPECT_LE(worst, 1e-5 * gmax) << "largest gradient " << gmax;
  EXPECT_EQ(stats[0].tokens, want.tokens);
  EXPECT_NEAR(stats[0].loss_sum, want.loss_sum, 1e-5 * want.loss_sum);

  // Training with --optimizer-delay 2 for 4 updates (top-2 routing) on 2 ranks, data parallel
  // and expert parallel (groups of 2): the one-process losses within 1e-4 nats, the same data
  // position.
  const std::string c1 = fresh_dir("delay_1");
  auto delayed = [](const std::string& dir) {
    auto o = options(dir);
    o.optimizer_delay = 2;
    o.after = {Amount::updates, 4};
    return o;
  };
  const TrainResult ref = Trainer(delayed(c1)).run();
  ASSERT_EQ(ref.update_losses.size(), 4u);
  for (int ep : {1, 2}) {
    const std::string dir = fresh_dir("delay_2_ep" + std::to_string(ep));
    std::vector<TrainResult> two(2);
    errors = on_ranks(2, [&](int r, dist::Communicator& comm) {
      auto o = delayed(dir);
      o.expert_parallel = ep;
      two[r] = Trainer(o, "", &comm).run();
    });
    for (int r = 0; r < 2; ++r) ASSERT_EQ(errors[r], "") << "rank " << r << ", ep " << ep;
    ASSERT_EQ(two[0].update_losses.size(), 4u);
    for (int i = 0; i < 4; ++i)
      EXPECT_NEAR(two[0].update_losses[i], ref.update_losses[i], 1e-4) << "ep " << ep;
    EXPECT_EQ(state_of(dir)["data_position"], state_of(c1)["data_position"]) << "ep " << ep;
    EXPECT_EQ(state_of(dir)["target_tokens"], state_of(c1)["target_tokens"]) << "ep " << ep;
  }
}

TEST(DataParallel, GradientSumsStartedDuringBackwardEqualSumsAfterIt) {
  // --overlap-grad-reduce: the same summed gradients, bit for bit, as summing after backward
  // (thread ranks sum in rank order), with buckets started before backward ended; also with
  // --optimizer-delay, an empty shard (rank 2 of 3 gets no sentence of the 2-sentence batch)
  // and the LSTM model.
  data::Batch batch, pair;
  {
    Trainer one(options(fresh_dir("overlap_data")));
    ASSERT_TRUE(one.batches().next(batch));
    data::shard_batch(batch, 0, 2, pair);  // 2 sentences
  }
  struct Case {
    int ranks;
    bool lstm;
    std::vector<const data::Batch*> micro;
  };
  for (const Case& k : {Case{2, false, {&batch}}, Case{3, false, {&batch, &pair}},
                        Case{3, false, {&pair}}, Case{2, true, {&batch}}}) {
    std::vector<data::Batch> micro;
    for (const data::Batch* b : k.micro) micro.push_back(*b);
    std::vector<std::vector<float>> grads[2];
    int early = 0, buckets = 0;
    for (bool overlap : {false, true}) {
      grads[overlap].resize(k.ranks);
      auto errors = on_ranks(k.ranks, [&](int r, dist::Communicator& comm) {
        auto o = options(fresh_dir("overlap_" + std::to_string(overlap)));
        o.overlap_grad_reduce = overlap;
        o.bucket_cap_mb = 0.002;  // ~2 KB: many buckets
        if (k.lstm) {
          o.model.type = model::ModelType::lstm;
          o.model.dim_rnn = 32;
          o.model.enc_layers = 2;
        }
        Trainer t(o, "", &comm);
        ASSERT_EQ(t.overlapped_grad_sum() != nullptr, overlap);
        nn::Ctx c;
        c.training = true;
        c.begin_step(1);
        t.compute_gradients(c, micro, "update 1");
        grads[overlap][r] = t.model().params().grads().to_vector();
        if (overlap && r == 0) {
          early = t.overlapped_grad_sum()->started_early();
          buckets = t.overlapped_grad_sum()->buckets();
        }
      });
      for (int r = 0; r < k.ranks; ++r) ASSERT_EQ(errors[r], "") << "rank " << r;
    }
    const std::string what = fmt::format("{} ranks, {} mini-batches{}", k.ranks, micro.size(),
                                         k.lstm ? ", LSTM" : "");
    for (int r = 0; r < k.ranks; ++r) EXPECT_EQ(grads[1][r], grads[0][0]) << what << ", rank " << r;
    // Only the parameters of no unit and the source embeddings (final when backward ends)
    // wait for the end; most buckets start earlier.
    EXPECT_GT(buckets, 10) << what;
    EXPECT_GT(early, buckets / 2) << what;
  }
}

TEST(DataParallel, TwoRankCheckpointResumesOnOne) {
  // 2 ranks train 4 updates and save; 1 process resumes to 8. Reference: 1 process, 8 updates.
  std::string a = fresh_dir("resume_2to1"), c = fresh_dir("resume_ref"), c4 = fresh_dir("resume_ref4");
  std::vector<TrainResult> two(2);
  auto errors = on_ranks(2, [&](int r, dist::Communicator& comm) {
    auto o = options(a);
    o.after = {Amount::updates, 4};
    two[r] = Trainer(o, "", &comm).run();
  });
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
  auto o4 = options(c4);
  o4.after = {Amount::updates, 4};
  auto ref4 = Trainer(o4).run();
  // The data position and the counters do not depend on the rank count.
  auto sa = state_of(a), s4 = state_of(c4);
  EXPECT_EQ(sa["data_position"], s4["data_position"]);
  EXPECT_EQ(sa["updates"], 4);
  EXPECT_EQ(sa["target_tokens"], s4["target_tokens"]);
  // Both ranks report the global batch's loss, which matches the one-process loss.
  ASSERT_EQ(two[0].update_losses.size(), 4u);
  EXPECT_EQ(two[0].update_losses, two[1].update_losses);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(two[0].update_losses[i], ref4.update_losses[i], 1e-4);

  auto ob = options(a);
  ob.after = {Amount::updates, 8};
  ob.resume = true;
  auto resumed = Trainer(ob).run();
  auto oc = options(c);
  oc.after = {Amount::updates, 8};
  auto ref = Trainer(oc).run();
  ASSERT_EQ(resumed.update_losses.size(), 4u);
  // Same batches in the same order; the weights differ only by float summation order, so the
  // losses agree to 1e-4 nats (measured: below 1e-5).
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(resumed.update_losses[i], ref.update_losses[4 + i], 1e-4) << "update " << 5 + i;
  EXPECT_EQ(state_of(a)["data_position"], state_of(c)["data_position"]);
}

TEST(DataParallel, FailingRankStopsTheOthersWithItsMessage) {
  std::string dir = fresh_dir("failing");
  Clock::time_point failed_at;
  auto errors = on_ranks(2, [&](int r, dist::Communicator& comm) {
    auto o = options(dir);
    o.after = {Amount::updates, 50};
    Trainer t(o, "", &comm);  // the 60 s timeout must not be what stops rank 0
    if (r == 1) {
      failed_at = Clock::now();
      comm.abort("decoder out of memory (injected)");
      return;
    }
    t.run();
  });
  double waited = std::chrono::duration<double>(Clock::now() - failed_at).count();
  EXPECT_LT(waited, 5.0);
  EXPECT_TRUE(has(errors[0], "rank 0 of 2")) << errors[0];
  EXPECT_TRUE(has(errors[0], "rank 1 failed: decoder out of memory (injected)")) << errors[0];
  EXPECT_TRUE(has(errors[0], "update ")) << errors[0];
  EXPECT_FALSE(path_exists(dir + "/model.safetensors"));
}

TEST(DataParallel, MissingRankTimesOutNamingRankCollectiveAndUpdate) {
  std::string dir = fresh_dir("missing");
  auto errors = on_ranks(2, [&](int r, dist::Communicator& comm) {
    auto o = options(dir);
    o.after = {Amount::updates, 5};
    Trainer t(o, "", &comm);
    if (r == 1) return;  // never trains
    comm.set_timeout(0.5);
    t.run();
  });
  EXPECT_TRUE(has(errors[0], "rank 0 of 2 (threads): all_reduce_sum (update 1): timed out after 0.5 s "
                             "waiting for rank(s) 1"))
      << errors[0];
}

}  // namespace moemt::train
