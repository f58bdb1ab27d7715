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

namespace moemt::train {
namespace {

namespace fs = std::filesystem;

std::string sample(const std::string& name) {
  return std::string(MOEMT_SOURCE_DIR) + "/corpora/sample/train/" + name;
}

std::string fresh_dir(const std::string& name) {
  auto p = fs::temp_directory_path() / ("moemt_trainer_" + std::to_string(::getpid())) / name;
  fs::remove_all(p);
  fs::create_directories(p.parent_path());
  return p.string();
}

TrainOptions tiny_options(const std::string& dir, bool moe) {
  TrainOptions o;
  o.model_dir = dir;
  o.train_pairs = {{sample("eng_Latn-deu_Latn.eng_Latn"), sample("eng_Latn-deu_Latn.deu_Latn"), "", ""},
                   {sample("eng_Latn-fra_Latn.eng_Latn"), sample("eng_Latn-fra_Latn.fra_Latn"), "", ""}};
  o.vocab.vocab_size = 500;
  o.vocab.num_threads = 1;
  o.model.d_model = 32;
  o.model.heads = 2;
  o.model.ffn_dim = 64;
  o.model.enc_layers = 1;
  o.model.dec_layers = 2;
  o.model.dropout = 0.1f;
  o.model.use_moe = moe;
  o.model.moe.encoder.every = 1;
  o.model.moe.decoder.every = 2;
  o.model.moe.encoder.num_experts = o.model.moe.decoder.num_experts = 4;
  o.model.moe.decoder.noisy_gating = true;
  o.batching.mini_batch_words = 600;
  o.lr.base_lr = 2e-3f;
  o.lr.warmup = 10;
  o.disp_freq = {Amount::updates, 1000};
  o.save_freq = {Amount::updates, 0};
  o.cpu_threads = 1;
  o.seed = 7;
  return o;
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
