// safetensors round trip, atomic write, and clear errors for truncated or corrupt files.
#include "core/safetensors.h"

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <sstream>

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

namespace {
// A safetensors image from a header text and a data section, as another tool could write it.
std::string image(const std::string& header, const std::string& body = "") {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  return out + header + body;
}

// Collects what moemt logs while it lives (spdlog's default logger is swapped and restored).
class LogCapture {
 public:
  LogCapture() : saved_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() {
    spdlog::set_default_logger(saved_);
    spdlog::drop("capture");  // the registry would keep a sink on the destroyed stream
  }
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> saved_;
  std::ostringstream out_;
};
}  // namespace

// Removing the checksum key turned the integrity check off silently; now it loads with a
// warning naming the file, and a file with its checksum loads without one.
TEST(Safetensors, MissingChecksumWarns) {
  std::string path = tmpdir() + "/c.safetensors";
  save_safetensors(path, {{"w", Tensor::from_vector(std::vector<float>{1.f, 2.f}, {2})}});
  {
    LogCapture log;
    load_safetensors(path);
    EXPECT_EQ(log.text(), "");
  }
  std::string raw = read_file(path);
  size_t key = raw.find("\"moemt.checksum\"");
  ASSERT_NE(key, std::string::npos);
  raw.replace(key, 16, "\"moemt.chkXXXXX\"");  // same length: the offsets stay right
  write_file_atomic(path, raw);
  LogCapture log;
  SafetensorsFile f = load_safetensors(path);
  EXPECT_EQ(f.at("w").to_vector(), (std::vector<float>{1.f, 2.f}));
  EXPECT_NE(log.text().find(path + ": no moemt.checksum in the header"), std::string::npos)
      << log.text();
}

// Shapes come from the file: too many dims, negative dims and element counts that overflow
// int64 are errors naming the file (they were an internal check failure, or undefined
// behaviour that let [2^32, 2^32] pass as an empty tensor).
TEST(Safetensors, ImpossibleShapesAreErrors) {
  auto error_of = [](const std::string& shape, const std::string& offsets) {
    std::string h =
        "{\"t\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}";
    try {
      parse_safetensors(image(h, std::string(16, '\0')), "x.safetensors");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("[1,1,1,1,1,1,4]", "[0,16]").find("7 dims, at most 6"), std::string::npos);
  EXPECT_NE(error_of("[-4,-1]", "[0,16]").find("negative dim -4"), std::string::npos);
  EXPECT_NE(error_of("[4294967296,4294967296]", "[0,0]").find("more elements than int64"),
            std::string::npos);
  EXPECT_NE(error_of("[4611686018427387904,4611686018427387904,0]", "[0,0]")
                .find("more elements than int64"),
            std::string::npos);
  EXPECT_NE(error_of("[3]", "[0,13]").find("does not match its 13 bytes"), std::string::npos);
  // The checks do not reject what is valid: an empty tensor and a full one.
  EXPECT_EQ(error_of("[0,7]", "[0,0]"), "no error");
  EXPECT_EQ(error_of("[2,2]", "[0,16]"), "no error");
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
