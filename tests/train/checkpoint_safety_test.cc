// Checkpoints never destroy what is not a checkpoint, and survive kill -9 at any point of a
// save: a loadable model always remains and the next start removes the stale temporaries.
#include "train/checkpoint.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/file_io.h"
#include "core/threads.h"
#include "model/checkpoint.h"
#include "model/seq2seq.h"

namespace moemt::train {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  auto p = fs::temp_directory_path() / ("moemt_ckpt_" + std::to_string(::getpid())) / name;
  fs::remove_all(p);
  fs::create_directories(p.parent_path());
  return p.string();
}

model::ModelConfig tiny_config() {
  model::ModelConfig c;
  c.vocab_size = 300;
  c.d_model = 64;
  c.heads = 2;
  c.ffn_dim = 128;
  c.enc_layers = 2;
  c.dec_layers = 2;
  c.languages = {"eng_Latn", "deu_Latn"};
  c.language_groups = {"Germanic", "Germanic"};
  return c;
}

// Siblings "DIR.*" of a checkpoint folder (temporaries of interrupted saves).
std::vector<std::string> siblings(const std::string& dir) {
  std::vector<std::string> out;
  std::string base = fs::path(dir).filename().string() + ".";
  for (const auto& e : fs::directory_iterator(fs::path(dir).parent_path()))
    if (e.path().filename().string().rfind(base, 0) == 0) out.push_back(e.path().string());
  return out;
}

}  // namespace

TEST(CheckpointTarget, RefusesFoldersThatAreNotModels) {
  std::string root = fresh_dir("targets");
  fs::create_directories(root);
  EXPECT_NO_THROW(check_checkpoint_target(root + "/new"));  // does not exist yet
  fs::create_directories(root + "/empty");
  EXPECT_NO_THROW(check_checkpoint_target(root + "/empty"));
  fs::create_directories(root + "/notes");
  std::ofstream(root + "/notes/notes.txt") << "keep\n";
  try {
    check_checkpoint_target(root + "/notes");
    FAIL() << "a user's folder was accepted as a checkpoint target";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("holds no moemt model"), std::string::npos) << e.what();
  }
  std::ofstream(root + "/file") << "keep\n";
  EXPECT_THROW(check_checkpoint_target(root + "/file"), Error);
}

TEST(CheckpointTarget, SaveNeverReplacesAUsersFolder) {
  set_num_threads(1);
  std::string dir = fresh_dir("users");
  fs::create_directories(dir);
  std::ofstream(dir + "/notes.txt") << "keep\n";
  model::Seq2Seq m(tiny_config());
  m.finalize(Device::cpu(), 1);
  Adam adam(m.params(), {});
  std::string vocab = "not used";
  EXPECT_THROW(save_checkpoint(dir, {&m, &vocab, &adam, {{"updates", 0}}, ""}), Error);
  EXPECT_EQ(read_file(dir + "/notes.txt"), "keep\n");
  EXPECT_TRUE(siblings(dir).empty());
}

// Repeated saves killed with SIGKILL at random moments (N = 24 trials): the folder always
// loads, with parameters of one of the saves, and remove_stale_temps() leaves no temporaries.
TEST(CheckpointCrash, KillNineDuringSavesLeavesALoadableModel) {
  set_num_threads(1);
  std::string dir = fresh_dir("crash");
  model::Seq2Seq m(tiny_config());
  m.finalize(Device::cpu(), 1);
  Adam adam(m.params(), {});
  std::string vocab(1000, 'v');
  save_checkpoint(dir, {&m, &vocab, &adam, {{"updates", 0}}, ""});
  std::mt19937 rng(1234);
  int stale_seen = 0;
  const int kTrials = 24;
  for (int trial = 0; trial < kTrials; ++trial) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // The child saves forever with a distinct state per save; the parent kills it.
      for (int64_t i = 1;; ++i) {
        adam.set_steps(i);
        save_checkpoint(dir, {&m, &vocab, &adam, {{"updates", i}}, ""});
      }
    }
    ::usleep(std::uniform_int_distribution<int>(2000, 40000)(rng));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "trial " << trial;
    for (const auto& s : siblings(dir))
      if (s.find(".writing.") != std::string::npos || s.find(".old.") != std::string::npos) {
        ++stale_seen;
        break;
      }
    model::Seq2Seq loaded(model::load_model_config(dir));
    loaded.finalize(Device::cpu(), 2);
    Adam loaded_adam(loaded.params(), {});
    nlohmann::json state;
    ASSERT_NO_THROW(state = load_checkpoint(dir, loaded, loaded_adam)) << "trial " << trial;
    EXPECT_EQ(state.at("updates").get<int64_t>(), loaded_adam.steps()) << "a mix of two saves";
    EXPECT_EQ(model::load_vocab_bytes(dir), vocab);
    remove_stale_temps(dir);
    EXPECT_TRUE(siblings(dir).empty()) << "trial " << trial;
  }
  // The kills must actually land inside saves for the test to mean anything.
  EXPECT_GT(stale_seen, kTrials / 4) << "kills rarely hit a save; the timing is off";
}

}  // namespace moemt::train
