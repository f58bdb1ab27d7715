// Output files appear only when complete, and stale temporaries of dead processes are removed
// while those of live ones stay.
#include "core/file_io.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/output_file.h"

namespace moemt {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  auto p = fs::temp_directory_path() / ("moemt_fileio_" + std::to_string(::getpid())) / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

size_t entries(const std::string& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

// A PID that surely belongs to no running process: a child that has exited and been reaped.
long dead_pid() {
  pid_t c = ::fork();
  if (c == 0) ::_exit(0);
  ::waitpid(c, nullptr, 0);
  return c;
}

}  // namespace

TEST(OutputFile, OldFileStaysUntilCommit) {
  std::string dir = fresh_dir("commit");
  std::string path = dir + "/out.txt";
  std::ofstream(path) << "old\n";
  {
    OutputFile f(path);
    f.stream() << "new\n";
    EXPECT_EQ(read_file(path), "old\n");  // nothing visible before commit
    f.commit();
  }
  EXPECT_EQ(read_file(path), "new\n");
  {
    OutputFile f(path);
    f.stream() << "half";
    // destroyed without commit: a failed run
  }
  EXPECT_EQ(read_file(path), "new\n");
  EXPECT_EQ(entries(dir), 1u) << "temporary file left behind";
}

TEST(OutputFile, DirectoryOrMissingFolderIsAnError) {
  std::string dir = fresh_dir("errors");
  EXPECT_THROW(OutputFile{dir}, Error);
  EXPECT_THROW(OutputFile{dir + "/missing/out.txt"}, Error);
}

TEST(FileIo, SameFileSeesLinks) {
  std::string dir = fresh_dir("same");
  std::ofstream(dir + "/a") << "x";
  fs::create_symlink(dir + "/a", dir + "/b");
  EXPECT_TRUE(same_file(dir + "/a", dir + "/b"));
  EXPECT_TRUE(same_file(dir + "/a", dir + "/./a"));
  EXPECT_FALSE(same_file(dir + "/a", dir + "/missing"));
}

TEST(FileIo, RemoveStaleTempsKeepsLiveProcessesAndOtherNames) {
  std::string dir = fresh_dir("stale");
  std::string model = dir + "/model";
  fs::create_directories(model);
  long dead = dead_pid();
  for (const char* tag : {"writing", "tmp", "old"})
    fs::create_directories(model + "." + tag + "." + std::to_string(dead) + "/x");
  std::string live = temp_sibling(model, "writing");  // this process: alive
  fs::create_directories(live);
  fs::create_directories(model + ".best-bleu");               // a real folder, never touched
  fs::create_directories(model + ".writing.notapid");          // not ours
  fs::create_directories(dir + "/other.writing." + std::to_string(dead));  // another target
  EXPECT_EQ(remove_stale_temps(model), 3);
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(model + ".best-bleu"));
  EXPECT_TRUE(fs::exists(model + ".writing.notapid"));
  EXPECT_TRUE(fs::exists(dir + "/other.writing." + std::to_string(dead)));
  EXPECT_EQ(remove_stale_temps(model + "/"), 0);  // a trailing slash names the same target
}

}  // namespace moemt
