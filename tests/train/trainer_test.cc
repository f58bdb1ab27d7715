// End-to-end training on the committed corpus sample: the loss falls, a resumed run continues
// bit-for-bit like an uninterrupted one, and bad input stops training before anything is written.
#include "train/trainer.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <thread>

#include "core/file_io.h"
#include "core/safetensors.h"
#include "model/checkpoint.h"
#include "ops/accumulate.h"
#include "ops/math/ema.h"
#include "train/average.h"
#include "train/checkpoint.h"
#include "tiny_training.h"

namespace moemt::train {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) { return testing::fresh_dir("moemt_trainer", name); }
using testing::sample;
using testing::tiny_options;

// The flat parameter vector of the model in `dir` (model.safetensors), through `into`'s layout.
std::vector<float> model_values(const std::string& dir, model::Model& into) {
  model::load_params(dir, into.params());
  return into.params().values().to_vector();
}

std::vector<float> raw_values(const std::string& dir) {
  return load_safetensors(dir + "/" + kOptimizerFile).at(kRawParamsTensor).to_vector();
}

}  // namespace

TEST(Trainer, LossFallsOnCorpusSample) {
  auto o = tiny_options(fresh_dir("falls"), false);
  o.after = {Amount::updates, 60};
  Trainer t(o);
  auto r = t.run();
  ASSERT_EQ(r.update_losses.size(), 60u);
  double first = std::accumulate(r.update_losses.begin(), r.update_losses.begin() + 5, 0.0) / 5;
  double last = std::accumulate(r.update_losses.end() - 5, r.update_losses.end(), 0.0) / 5;
  // The first updates cost about ln(500) = 6.2 nats plus smoothing; 60 updates of a tiny model
  // must take off at least 1.5 nats (measured: 6.70 -> 5.05 over the first/last 5 updates).
  EXPECT_LT(last, first - 1.5) << "first " << first << " last " << last;
  EXPECT_TRUE(path_exists(o.model_dir + "/model.safetensors"));
}

TEST(Trainer, ResumeContinuesExactly) {
  for (bool moe : {false, true}) {
    std::string a = fresh_dir(moe ? "resume_a_moe" : "resume_a");
    std::string c = fresh_dir(moe ? "resume_c_moe" : "resume_c");
    auto oa = tiny_options(a, moe);
    oa.after = {Amount::updates, 7};
    Trainer(oa).run();
    auto ob = tiny_options(a, moe);
    ob.after = {Amount::updates, 14};
    ob.resume = true;
    auto rb = Trainer(ob).run();
    auto oc = tiny_options(c, moe);
    oc.after = {Amount::updates, 14};
    auto rc = Trainer(oc).run();
    ASSERT_EQ(rb.update_losses.size(), 7u);
    ASSERT_EQ(rc.update_losses.size(), 14u);
    for (int i = 0; i < 7; ++i)
      EXPECT_EQ(rb.update_losses[i], rc.update_losses[7 + i]) << "update " << 8 + i << " moe " << moe;
  }
}

// --optimizer-delay: micro-batches weighted by their target tokens give the gradient of the one
// batch that holds all their sentences (dense model, no dropout: nothing else differs).
TEST(Trainer, AccumulatedGradientsEqualOneLargeBatch) {
  auto o = tiny_options(fresh_dir("accumulate"), false);
  o.model.dropout = 0.f;
  Trainer t(o);
  model::Model& m = t.model();
  // Sentences of different lengths, so the micro-batches have different token counts and
  // paddings (an unweighted sum, or a mean of means, would be visibly off).
  std::vector<data::Sample> samples;
  RngStream r{3, 9};
  for (int i = 0; i < 6; ++i) {
    data::Sample s;
    int src_len = 3 + (i * 5) % 9, tgt_len = 2 + (i * 7) % 8;
    for (int j = 0; j < src_len; ++j)
      s.src.push_back(4 + static_cast<int32_t>(r.uniform(i * 100 + j) * 400));
    s.src.push_back(data::kEosId);
    for (int j = 0; j < tgt_len; ++j)
      s.tgt.push_back(4 + static_cast<int32_t>(r.uniform(i * 100 + 50 + j) * 400));
    s.src_lang = 0;
    s.tgt_lang = 1 + i % 2;
    samples.push_back(s);
  }
  auto raw_batch = [&](std::vector<int> rows) {
    std::vector<const data::Sample*> ptr;
    for (int i : rows) ptr.push_back(&samples[i]);
    data::Batch b;
    data::BatchGenerator::make_batch(ptr, data::SpecialIds{}, b);
    return b;
  };
  auto batch_of = [&](std::vector<int> rows) { return batch_tensors(raw_batch(rows), Device::cpu()); };
  // The trainer's own path for one update of three mini-batches (--optimizer-delay 3).
  std::vector<data::Batch> micro_raw = {raw_batch({0, 1}), raw_batch({2, 3, 4}), raw_batch({5})};
  std::vector<model::BatchTensors> micro = {batch_of({0, 1}), batch_of({2, 3, 4}), batch_of({5})};
  model::BatchTensors large = batch_of({0, 1, 2, 3, 4, 5});
  nn::Ctx ctx;
  ctx.training = true;
  ctx.seed = 7;
  auto grads_of = [&](auto&& run) {
    ctx.begin_step(1);
    m.params().zero_grad();
    model::HostLossStats st = run().read_to_host();
    return std::make_pair(st, m.params().grads().to_vector());
  };
  auto [st_acc, g_acc] =
      grads_of([&] { return t.compute_gradients(ctx, micro_raw, "test").loss; });
  auto [st_one, g_one] = grads_of([&] { return m.forward_backward(ctx, large, 0.1f); });
  auto [st_naive, g_naive] = grads_of([&] {
    model::LossStats sum = model::LossStats::zeros(Device::cpu());
    for (const auto& b : micro) ops::accumulate_f64(sum.sums, m.forward_backward(ctx, b, 0.1f).sums);
    return sum;
  });
  EXPECT_EQ(st_acc.tokens, st_one.tokens);
  EXPECT_NEAR(st_acc.loss_sum, st_one.loss_sum, 1e-5 * st_one.loss_sum);
  double scale = 0, diff = 0, naive_diff = 0;
  for (size_t i = 0; i < g_one.size(); ++i) {
    scale = std::max(scale, static_cast<double>(std::abs(g_one[i])));
    diff = std::max(diff, static_cast<double>(std::abs(g_acc[i] - g_one[i])));
    naive_diff = std::max(naive_diff, static_cast<double>(std::abs(g_naive[i] - g_one[i])));
  }
  ASSERT_GT(scale, 0);
  // f32 sums in another order (measured ~1e-7 of the largest gradient).
  EXPECT_LT(diff, 1e-5 * scale) << "largest gradient " << scale;
  // The check can fail: summing the micro-batches' mean losses unweighted is far off.
  EXPECT_GT(naive_diff, 1e-2 * scale);
}

// --exponential-smoothing with --keep-checkpoints: every MODEL.iter<update> holds the average
// as its model and the raw weights for resuming, and the averages follow Marian's recurrence
// avg_t = (1 - d_t) avg_{t-1} + d_t w_t, checked in double from the saved raw weights.
TEST(Trainer, SmoothedWeightsAreTheModelAndKeepCheckpointsKeepsTheNewest) {
  std::string dir = fresh_dir("ema");
  fs::create_directories(dir + ".iter0");
  std::ofstream(dir + ".iter0/notes.txt") << "keep\n";  // a user's folder with a matching name
  auto o = tiny_options(dir, false);
  o.exponential_smoothing = 0.3f;
  o.save_freq = {Amount::updates, 1};
  o.keep_checkpoints = 3;
  o.after = {Amount::updates, 4};
  Trainer t(o);
  t.run();
  EXPECT_FALSE(path_exists(dir + ".iter1")) << "the oldest of 4 checkpoints not removed";
  for (int u : {2, 3, 4}) EXPECT_TRUE(model::is_model_dir(dir + ".iter" + std::to_string(u))) << u;
  EXPECT_EQ(read_file(dir + ".iter0/notes.txt"), "keep\n");
  std::vector<double> avg;
  for (float x : model_values(dir + ".iter2", t.model())) avg.push_back(x);
  auto raw2 = raw_values(dir + ".iter2");
  double moved = 0;
  for (size_t i = 0; i < avg.size(); ++i) moved = std::max(moved, std::abs(avg[i] - raw2[i]));
  EXPECT_GT(moved, 1e-4) << "the saved model is not smoothed";
  for (int u : {3, 4}) {
    auto raw = raw_values(dir + ".iter" + std::to_string(u));
    const double d = ops::math::ema_decay(0.3f, u);
    for (size_t i = 0; i < avg.size(); ++i) avg[i] = (1 - d) * avg[i] + d * raw[i];
  }
  auto got = model_values(dir + ".iter4", t.model());
  ASSERT_EQ(got.size(), avg.size());
  for (size_t i = 0; i < avg.size(); ++i)
    ASSERT_NEAR(got[i], avg[i], 1e-6 * (1 + std::abs(avg[i]))) << i;
  // The final model folder is the last checkpoint: the same average.
  EXPECT_EQ(read_file(dir + "/model.safetensors"), read_file(dir + ".iter4/model.safetensors"));
}

// `moemt average`: the parameter-wise mean of the given models, checked in double; models of
// another architecture are refused with the file and the differing setting named.
TEST(Trainer, AveragedModelIsTheMeanOfTheCheckpoints) {
  std::string dir = fresh_dir("avg");
  auto o = tiny_options(dir, false);
  o.save_freq = {Amount::updates, 1};
  o.keep_checkpoints = 3;
  o.after = {Amount::updates, 3};
  Trainer t(o);
  t.run();
  std::vector<std::string> iters = {dir + ".iter1", dir + ".iter2", dir + ".iter3"};
  std::string out = fresh_dir("avg_out");
  average_models(iters, out);
  std::vector<double> mean;
  for (const auto& d : iters) {
    auto v = model_values(d, t.model());
    mean.resize(v.size(), 0.0);
    for (size_t i = 0; i < v.size(); ++i) mean[i] += v[i] / 3.0;
  }
  auto got = model_values(out, t.model());
  ASSERT_EQ(got.size(), mean.size());
  for (size_t i = 0; i < mean.size(); ++i)
    ASSERT_NEAR(got[i], mean[i], 1e-6 * (1 + std::abs(mean[i]))) << i;
  EXPECT_EQ(read_file(out + "/vocab.spm"), read_file(dir + "/vocab.spm"));
  EXPECT_EQ(read_file(out + "/config.yml"), read_file(dir + "/config.yml"));

  // Another architecture: a copy of iter3 with a wider feed-forward layer in its config.
  std::string other = fresh_dir("avg_other");
  fs::copy(dir + ".iter3", other, fs::copy_options::recursive);
  std::string cfg = read_file(other + "/config.yml");
  size_t at = cfg.find("transformer-dim-ffn: 64");
  ASSERT_NE(at, std::string::npos) << cfg;
  write_file_atomic(other + "/config.yml", cfg.replace(at, 23, "transformer-dim-ffn: 128"));
  const std::string bad = fresh_dir("avg_bad");
  try {
    average_models({iters[0], other}, bad);
    FAIL() << "averaged models of two architectures";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(other + "/config.yml"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("transformer-dim-ffn"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(path_exists(bad)) << "something was written for a refused average";
  EXPECT_THROW(average_models({iters[0], iters[1]}, iters[0]), Error);  // output is an input
}

// Resume stays bit-exact with a moving average (its state is in the checkpoint) and with
// gradient accumulation (updates end on whole micro-batch groups).
TEST(Trainer, ResumeContinuesExactlyWithSmoothingAndDelay) {
  struct Case {
    const char* name;
    bool moe;
    float smoothing;
    int delay;
  };
  for (const Case& k :
       {Case{"ema", false, 1e-2f, 1}, Case{"delay", true, 0.f, 2}, Case{"both", false, 1e-2f, 3}}) {
    std::string a = fresh_dir(std::string("resume2_a_") + k.name);
    std::string c = fresh_dir(std::string("resume2_c_") + k.name);
    auto opts = [&](const std::string& dir, int64_t updates) {
      auto o = tiny_options(dir, k.moe);
      o.exponential_smoothing = k.smoothing;
      o.optimizer_delay = k.delay;
      o.after = {Amount::updates, updates};
      return o;
    };
    Trainer(opts(a, 4)).run();
    auto ob = opts(a, 8);
    ob.resume = true;
    auto rb = Trainer(ob).run();
    auto rc = Trainer(opts(c, 8)).run();
    ASSERT_EQ(rb.update_losses.size(), 4u) << k.name;
    ASSERT_EQ(rc.update_losses.size(), 8u) << k.name;
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(rb.update_losses[i], rc.update_losses[4 + i]) << k.name << " update " << 5 + i;
    // The average too: the saved models (smoothed) and optimizer states agree to the byte.
    EXPECT_EQ(read_file(a + "/model.safetensors"), read_file(c + "/model.safetensors")) << k.name;
    EXPECT_EQ(read_file(a + "/optimizer.safetensors"), read_file(c + "/optimizer.safetensors"))
        << k.name;
  }
}

// A time limit in --after stops at the first update that ends past it, then validates and
// saves (with --keep-best, the best model of each metric); the clock is injected, so the test does
// not depend on the machine's speed.
TEST(Trainer, TimeBudgetStopsWithinOneUpdate) {
  std::string dir = fresh_dir("budget");
  auto o = tiny_options(dir, false);
  Budget b;
  b.limits = {{Amount::updates, 1000}, {Amount::seconds, 60}};
  o.after = b;
  o.valid_pairs = {o.train_pairs[0]};
  o.valid_translations = 1;
  o.valid_metrics = {ValidMetric::ce_mean_words, ValidMetric::perplexity};
  o.keep_best = true;  // a best model per metric
  auto readings = std::make_shared<std::vector<double>>();
  // 7 fake seconds pass between readings: the limit of 60 s is crossed at the 9th update.
  o.clock = [readings] {
    double s = 7.0 * static_cast<double>(readings->size());
    readings->push_back(s);
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(s)));
  };
  Trainer t(o);
  auto r = t.run();
  ASSERT_EQ(readings->size(), static_cast<size_t>(r.updates) + 1) << "one reading per update";
  EXPECT_GE(readings->back() - readings->front(), 60.0);
  EXPECT_LT((*readings)[readings->size() - 2] - readings->front(), 60.0) << "ran past the limit";
  EXPECT_EQ(r.updates, 9);
  EXPECT_EQ(r.valid_scores.size(), 1u) << "no validation at the end of the time budget";
  auto state = nlohmann::json::parse(read_file(dir + "/state.json"));
  EXPECT_EQ(state.at("updates").get<int64_t>(), r.updates);
  EXPECT_TRUE(model::is_model_dir(dir + ".best-ce-mean-words"));
  EXPECT_TRUE(model::is_model_dir(dir + ".best-perplexity")) << "--keep-best";
}

TEST(Trainer, BadInputStopsBeforeWriting) {
  std::string dir = fresh_dir("bad");
  auto write = [&](const std::string& name, const std::string& text) {
    std::string p = fs::path(dir).parent_path() / name;
    std::ofstream(p) << text;
    return p;
  };
  auto expect_error = [&](TrainOptions o, const std::string& needle) {
    try {
      Trainer t(o);
      t.run();
      FAIL() << "no error, expected " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    EXPECT_FALSE(path_exists(o.model_dir)) << "something was written for " << needle;
  };
  auto o = tiny_options(dir, false);
  std::string en = write("b.eng_Latn", "one\ntwo\nthree\n");
  std::string de_short = write("b.deu_Latn", "eins\nzwei\n");
  o.train_pairs = {{en, de_short, "", ""}};
  expect_error(o, "b.deu_Latn");
  std::string bad_utf8 = write("u.deu_Latn", "eins\nzw\xff" "ei\ndrei\n");
  o.train_pairs = {{en, bad_utf8, "", ""}};
  expect_error(o, "u.deu_Latn:2");
  std::string empty_line = write("e.deu_Latn", "eins\n\ndrei\n");
  o.train_pairs = {{en, empty_line, "", ""}};
  expect_error(o, "e.deu_Latn:2");
  o.train_pairs = {{en, dir + "/missing.deu_Latn", "", ""}};
  expect_error(o, "missing.deu_Latn");
  std::string unknown = write("k.xyz_Latn", "eins\nzwei\ndrei\n");
  o.train_pairs = {{en, unknown, "", ""}};
  expect_error(o, "xyz_Latn");
}

TEST(Trainer, TruncatedCheckpointIsAClearError) {
  std::string dir = fresh_dir("trunc");
  auto o = tiny_options(dir, false);
  o.after = {Amount::updates, 2};
  Trainer(o).run();
  std::string params = dir + "/model.safetensors";
  std::string bytes = read_file(params);
  write_file_atomic(params, bytes.substr(0, bytes.size() / 2));
  o.resume = true;
  o.after = {Amount::updates, 4};
  try {
    Trainer t(o);
    FAIL() << "resumed from a truncated checkpoint";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated or corrupt"), std::string::npos) << e.what();
  }
}

TEST(Trainer, ModelFolderThatIsNotAModelIsLeftAlone) {
  std::string dir = fresh_dir("notes");
  fs::create_directories(dir);
  std::ofstream(dir + "/notes.txt") << "keep\n";
  auto o = tiny_options(dir, false);
  o.after = {Amount::updates, 2};
  for (bool overwrite : {false, true}) {
    o.overwrite = overwrite;
    try {
      Trainer t(o);
      t.run();
      FAIL() << "trained into a user's folder (overwrite " << overwrite << ")";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("holds no moemt model"), std::string::npos) << e.what();
    }
    EXPECT_EQ(read_file(dir + "/notes.txt"), "keep\n");
  }
  // The best-model folder is protected the same way.
  std::string dir2 = fresh_dir("best");
  fs::create_directories(dir2 + ".best-ce-mean-words");
  std::ofstream(dir2 + ".best-ce-mean-words/notes.txt") << "keep\n";
  auto o2 = tiny_options(dir2, false);
  o2.valid_pairs = o2.train_pairs;
  EXPECT_THROW(Trainer{o2}, Error);
  EXPECT_EQ(read_file(dir2 + ".best-ce-mean-words/notes.txt"), "keep\n");
}

TEST(Trainer, SigtermSavesAtTheNextUpdateAndStops) {
  std::string dir = fresh_dir("sigterm");
  auto o = tiny_options(dir, false);
  o.after = {Amount::updates, 100000};
  Trainer t(o);
  std::thread killer([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ::kill(::getpid(), SIGTERM);
  });
  auto r = t.run();
  killer.join();
  EXPECT_EQ(r.interrupted_by, SIGTERM);
  EXPECT_GT(r.updates, 0);
  EXPECT_LT(r.updates, 100000);
  auto state = nlohmann::json::parse(read_file(dir + "/state.json"));
  EXPECT_EQ(state.at("updates").get<int64_t>(), r.updates) << "checkpoint not at the last update";
  // The handler is gone after run(): SIGTERM's disposition is back to what it was.
  struct sigaction now;
  ::sigaction(SIGTERM, nullptr, &now);
  EXPECT_EQ(now.sa_handler, SIG_DFL);
}

}  // namespace moemt::train
