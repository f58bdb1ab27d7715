// Memory-mapped safetensors: the same tensors as reading the file, the same header checks, a
// mapping that lives as long as its holder, and only the pages of touched tensors resident.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/file_io.h"
#include "core/param_store.h"
#include "core/safetensors.h"

namespace moemt {
namespace {

std::string tmpfile(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("moemt_stmap_" + std::to_string(::getpid()));
  std::filesystem::create_directories(p);
  return (p / name).string();
}

// Resident KiB of this process's mapping of `path` (/proc/self/smaps).
int64_t resident_kib(const std::string& path) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in = false;
  int64_t kib = 0;
  while (std::getline(smaps, line)) {
    const bool header = !line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
                        line.find('-') < line.find(' ');
    if (header)
      in = line.size() >= path.size() &&
           line.compare(line.size() - path.size(), path.size(), path) == 0;
    if (in && line.rfind("Rss:", 0) == 0) {
      std::istringstream is(line.substr(4));
      int64_t v = 0;
      is >> v;
      kib += v;
    }
  }
  return kib;
}

float sum(const Tensor& t) {
  float s = 0;
  const float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) s += p[i];
  return s;
}

TEST(SafetensorsMap, SameTensorsAsReadingAndChecksTheHeader) {
  const std::string path = tmpfile("a.safetensors");
  Tensor a = Tensor::from_vector(std::vector<float>{1.5f, -2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3});
  Tensor b = Tensor::from_vector(std::vector<int32_t>{7, 8}, {2});
  save_safetensors(path, {{"enc.w", a}, {"ids", b}}, {{"format", "pt"}});
  SafetensorsFile read = load_safetensors(path);
  SafetensorsFile mapped = map_safetensors(path);
  ASSERT_TRUE(mapped.mapping);
  EXPECT_EQ(mapped.metadata, read.metadata);
  EXPECT_EQ(mapped.at("enc.w").to_vector(), a.to_vector());
  EXPECT_EQ(mapped.at("ids").to_ivector(), b.to_ivector());
  EXPECT_EQ(mapped.at("enc.w").shape(), a.shape());
  // The views point into the mapping, not into copies.
  const char* base = static_cast<const char*>(mapped.at("enc.w").raw());
  EXPECT_NE(base, static_cast<const char*>(read.at("enc.w").raw()));
  // A truncated file is refused as by load_safetensors.
  std::string raw = read_file(path);
  write_file_atomic(path, raw.substr(0, raw.size() - 4));
  EXPECT_THROW(map_safetensors(path), Error);
  write_file_atomic(path, "");
  EXPECT_THROW(map_safetensors(path), Error);
  EXPECT_THROW(map_safetensors(path + ".missing"), Error);
}

TEST(SafetensorsMap, ParamStoreViewsKeepTheMappingAndPageInOnlyWhatIsRead) {
  const std::string path = tmpfile("b.safetensors");
  const int64_t n = 1 << 22;  // 16 MiB per tensor
  std::vector<float> va(n, 1.f), vb(n, 2.f);
  save_safetensors(path,
                   {{"a", Tensor::from_vector(va, {n})}, {"b", Tensor::from_vector(vb, {n})}});
  ParamStore ps;
  ps.add("a", {n}, InitSpec::Zeros());
  ps.add("b", {n}, InitSpec::Zeros());
  {
    SafetensorsFile f = map_safetensors(path);
    ps.finalize_views({f.at("a"), f.at("b")}, f.mapping);
  }  // the store alone keeps the mapping now
  EXPECT_FALSE(ps.has_flat_buffers());
  EXPECT_THROW(ps.values(), std::exception);
  const int64_t before = resident_kib(path);
  EXPECT_EQ(sum(ps.value(0)), static_cast<float>(n));
  const int64_t after_a = resident_kib(path);
  // Reading a (16 MiB) maps a's pages and some read-around (2 MiB seen here), not all of b's.
  EXPECT_GE(after_a - before, 16000);
  EXPECT_LT(after_a, 16384 + 8192);
  EXPECT_EQ(sum(ps.value(1)), 2.f * n);
  EXPECT_GE(resident_kib(path), 32000);
}

}  // namespace
}  // namespace moemt
