// safetensors round trip, atomic write, and clear errors for truncated or corrupt files.
#include "core/safetensors.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/file_io.h"

namespace moemt {
namespace {
std::string tmpdir() {
  auto p = std::filesystem::temp_directory_path() / ("moemt_st_" + std::to_string(::getpid()));
  std::filesystem::create_directories(p);
  return p.string();
}
}  // namespace

TEST(Safetensors, RoundTripAndHeaderLayout) {
  std::string path = tmpdir() + "/a.safetensors";
  Tensor a = Tensor::from_vector(std::vector<float>{1.5f, -2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3});
  Tensor b = Tensor::from_vector(std::vector<int32_t>{7, 8}, {2});
  save_safetensors(path, {{"enc.w", a}, {"ids", b}}, {{"format", "pt"}});
  std::string raw = read_file(path);
  uint64_t hlen = 0;
  for (int i = 0; i < 8; ++i) hlen |= uint64_t(uint8_t(raw[i])) << (8 * i);
  EXPECT_EQ(hlen % 8, 0u);
  EXPECT_EQ(raw.size(), 8 + hlen + 6 * 4 + 2 * 4);
  EXPECT_NE(raw.find("\"dtype\":\"F32\""), std::string::npos);
  auto f = load_safetensors(path);
  EXPECT_EQ(f.at("enc.w").to_vector(), a.to_vector());
  EXPECT_EQ(f.at("enc.w").shape(), Shape({2, 3}));
  EXPECT_EQ(f.at("ids").to_ivector(), b.to_ivector());
  EXPECT_EQ(f.metadata.at("format"), "pt");
  EXPECT_THROW(f.at("missing"), Error);
  EXPECT_FALSE(path_exists(path + ".tmp." + std::to_string(::getpid())));
}

TEST(Safetensors, TruncatedAndCorruptFilesGiveClearErrors) {
  std::string dir = tmpdir();
  std::string path = dir + "/b.safetensors";
  Tensor a = Tensor::from_vector(std::vector<float>(100, 1.f), {10, 10});
  save_safetensors(path, {{"w", a}});
  std::string raw = read_file(path);
  auto expect_error = [&](const std::string& content, const std::string& what) {
    std::string p = dir + "/bad.safetensors";
    write_file_atomic(p, content);
    try {
      load_safetensors(p);
      FAIL() << "no error for " << what;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("not a valid safetensors"), std::string::npos);
    }
  };
  expect_error(raw.substr(0, raw.size() - 10), "truncated data");
  expect_error(raw.substr(0, 5), "truncated length");
  expect_error(raw.substr(0, 20), "truncated header");
  std::string bad = raw;
  bad[8] = '#';
  expect_error(bad, "corrupt header");
  std::string flipped = raw;
  flipped[raw.size() - 3] ^= 0x10;
  expect_error(flipped, "bit flip in data");
  EXPECT_THROW(load_safetensors(dir + "/nope.safetensors"), Error);
}

TEST(FileIo, ReplaceDirAtomic) {
  std::string dir = tmpdir();
  make_dirs(dir + "/new");
  write_file_atomic(dir + "/new/x", "1");
  replace_dir_atomic(dir + "/new", dir + "/ckpt");
  EXPECT_EQ(read_file(dir + "/ckpt/x"), "1");
  make_dirs(dir + "/new2");
  write_file_atomic(dir + "/new2/x", "2");
  replace_dir_atomic(dir + "/new2", dir + "/ckpt");
  EXPECT_EQ(read_file(dir + "/ckpt/x"), "2");
  EXPECT_FALSE(path_exists(dir + "/new2"));
}

}  // namespace moemt
