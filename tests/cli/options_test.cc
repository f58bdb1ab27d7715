// Bounded options: ranges checked wherever a value comes from (command line, YAML), named in
// the error, shown in --help; the --cpu-threads cap and the memory check.
#include "cli/options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/cuda_runtime.h"
#include "core/error.h"
#include "core/threads.h"

namespace moemt::cli {
namespace {

using ::testing::HasSubstr;

struct Parsed {
  po::variables_map vm;
  std::string error;  // empty when parsing succeeded
};

po::options_description make_desc() {
  po::options_description d("test");
  // clang-format off
  d.add_options()
    ("help,h", "help")
    ("config,c", po::value<std::vector<std::string>>()->composing(), "config")
    ("depth", bounded<int>(1, 64)->default_value(3), "layers")
    ("seed", bounded<uint64_t>(0, UINT64_MAX)->default_value(1), "seed")
    ("size", bounded<size_t>(0, 1000), "size")
    ("rate,l", bounded(0.f, 1.f)->default_value(3e-4f), "learning rate")
    ("betas", bounded_list(0.f, 1.f)->multitoken(), "list");
  // clang-format on
  return d;
}

Parsed parse(std::vector<std::string> args) {
  Parsed p;
  auto desc = make_desc();
  try {
    parse_options("test", args, desc, p.vm);
  } catch (const po::error& e) {
    p.error = e.what();
  } catch (const Error& e) {
    p.error = e.what();
  }
  return p;
}

std::string write_yaml(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(BoundedOption, InRangeValuesParse) {
  Parsed p = parse({"--depth", "64", "--size", "0", "-l", "0.5", "--betas", "0.9", "0.98"});
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.vm["depth"].as<int>(), 64);
  EXPECT_EQ(p.vm["size"].as<size_t>(), 0u);
  EXPECT_FLOAT_EQ(p.vm["rate"].as<float>(), 0.5f);
  EXPECT_EQ(p.vm["betas"].as<std::vector<float>>(), (std::vector<float>{0.9f, 0.98f}));
  EXPECT_EQ(p.vm["seed"].as<uint64_t>(), 1u);  // the default, untouched
}

TEST(BoundedOption, OutOfRangeNamesTheOption) {
  EXPECT_EQ(parse({"--depth", "100000000"}).error, "--depth: 100000000 is out of range [1, 64]");
  EXPECT_EQ(parse({"--depth", "0"}).error, "--depth: 0 is out of range [1, 64]");
  // Beyond int: a range error too, not "invalid".
  EXPECT_EQ(parse({"--depth", "99999999999999"}).error,
            "--depth: 99999999999999 is out of range [1, 64]");
  // A short flag is reported by its long name.
  EXPECT_EQ(parse({"-l", "-0.001"}).error, "--rate: -0.001 is out of range [0, 1]");
  EXPECT_EQ(parse({"--betas", "0.9", "1.5"}).error, "--betas: 1.5 is out of range [0, 1]");
}

TEST(BoundedOption, UnsignedRejectsNegativeInsteadOfWrapping) {
  EXPECT_EQ(parse({"--size", "-5"}).error, "--size: -5 is out of range [0, 1000]");
  EXPECT_EQ(parse({"--seed", "-1"}).error, "--seed: -1 is out of range (must be >= 0)");
  EXPECT_EQ(parse({"--seed", "18446744073709551615"}).error, "");
}

TEST(BoundedOption, NonFiniteAndGarbageAreErrors) {
  EXPECT_EQ(parse({"-l", "nan"}).error, "--rate: nan is not a finite number");
  EXPECT_EQ(parse({"-l", "inf"}).error, "--rate: inf is not a finite number");
  EXPECT_EQ(parse({"-l", "1e999"}).error, "--rate: 1e999 is out of range [0, 1]");
  EXPECT_EQ(parse({"--depth", "3.5"}).error, "--depth: '3.5' is not a whole number");
  EXPECT_EQ(parse({"--depth", "abc"}).error, "--depth: 'abc' is not a whole number");
}

TEST(BoundedOption, YamlValuesAreCheckedWithFileAndLine) {
  const std::string path = write_yaml("moemt_options_test.yml", "size: 10\ndepth: 100000000\n");
  EXPECT_EQ(parse({"-c", path}).error, path + ":2: --depth: 100000000 is out of range [1, 64]");
  // The command line wins over the file, and its value is what is checked.
  Parsed p = parse({"-c", path, "--depth", "4"});
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.vm["depth"].as<int>(), 4);
  const std::string nan = write_yaml("moemt_options_nan.yml", "rate: nan\n");
  EXPECT_EQ(parse({"-c", nan}).error, nan + ":1: --rate: nan is not a finite number");
}

TEST(BoundedOption, HelpShowsTheRange) {
  std::ostringstream out;
  out << make_desc();
  EXPECT_THAT(out.str(), HasSubstr("--depth arg (=3) in [1, 64]"));
  EXPECT_THAT(out.str(), HasSubstr("-l [ --rate ] arg (=0.0003) in [0, 1]"));
  EXPECT_THAT(out.str(), HasSubstr("--seed arg (=1) >= 0"));
}

TEST(CpuThreads, CappedAtAvailableCores) {
  const int cores = available_cores();
  ASSERT_GE(cores, 1);
  EXPECT_EQ(cap_cpu_threads(1), 1);
  EXPECT_EQ(cap_cpu_threads(cores), cores);
  EXPECT_EQ(cap_cpu_threads(cores + 1000), cores);
  EXPECT_EQ(cap_cpu_threads(0), cores);  // "all cores" means the ones we may use
}

TEST(MemoryCheck, ImpossibleRequestIsAnErrorSayingWhatToLower) {
  EXPECT_NO_THROW(check_memory(1024, "a tiny model", "--dim-emb"));
  try {
    check_memory(int64_t{1} << 62, "a model of 10^17 parameters", "--dim-emb or --enc-depth");
    FAIL() << "4 EiB accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("a model of 10^17 parameters needs 4.0 EiB but only "));
    EXPECT_THAT(e.what(), HasSubstr("of memory is available; lower --dim-emb or --enc-depth"));
  }
  // On a GPU the device's free memory counts; without one the device itself is the error.
  try {
    check_memory(int64_t{1} << 62, "a model of 10^17 parameters", "--dim-emb", Device::cuda(0));
    FAIL() << "4 EiB accepted on cuda:0";
  } catch (const Error& e) {
    if (cuda_device_count() > 0)
      EXPECT_THAT(e.what(), HasSubstr("needs 4.0 EiB but only "));
    else
      EXPECT_THAT(e.what(), HasSubstr("cuda:0"));
  }
}

TEST(Schedule, NonFiniteOrHugeAmountsAreErrors) {
  EXPECT_EQ(parse_schedule("after", "10ku").value, 10000);
  EXPECT_THROW(parse_schedule("after", "nanu"), Error);
  EXPECT_THROW(parse_schedule("after", "infe"), Error);
  EXPECT_THROW(parse_schedule("after", "1e300u"), Error);
}

TEST(Schedule, AfterTakesTimeUnitsAndCommaLists) {
  train::Budget b = parse_budget("after", "10000u,30m");
  ASSERT_EQ(b.limits.size(), 2u);
  EXPECT_EQ(b.limits[0].unit, train::Amount::updates);
  EXPECT_EQ(b.limits[0].value, 10000);
  EXPECT_EQ(b.limits[1].unit, train::Amount::seconds);
  EXPECT_EQ(b.limits[1].value, 1800);
  EXPECT_EQ(parse_budget("after", "2h").limits.at(0).value, 7200);
  EXPECT_EQ(parse_budget("after", "90s").limits.at(0).value, 90);
  EXPECT_EQ(parse_budget("after", "1.5h,5e").limits.at(0).value, 5400);
  EXPECT_TRUE(parse_budget("after", "0").limits.empty());
  // Whichever comes first: the time limit alone stops a run that has few updates.
  EXPECT_TRUE(b.reached(10, 0, 0, 1800.0));
  EXPECT_FALSE(b.reached(10, 0, 0, 1799.9));
  EXPECT_TRUE(b.reached(10000, 0, 0, 1.0));
  // Time units only where a wall-clock limit makes sense; typos and duplicates are errors.
  EXPECT_THROW(parse_schedule("disp-freq", "30m"), Error);
  EXPECT_THROW(parse_budget("after", "10u,,30m"), Error);
  EXPECT_THROW(parse_budget("after", "10u,20u"), Error);
  EXPECT_THROW(parse_budget("after", "30min"), Error);
}

TEST(Devices, ParsedCheckedAndPickedPerLocalRank) {
  EXPECT_EQ(device_from_option({"cpu"}), Device::cpu());
  EXPECT_EQ(device_from_option({"cpu", "cpu"}, 1, 2), Device::cpu());
  auto error_of = [](const std::vector<std::string>& d, int rank, int size) {
    try {
      device_from_option(d, rank, size);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_THAT(error_of({"tpu0"}, 0, 1), HasSubstr("--devices tpu0: bad device 'tpu0'"));
  EXPECT_THAT(error_of({"0", "1"}, 0, 1),
              HasSubstr("--devices 0 1: 2 devices for 1 process(es) on this node"));
  EXPECT_THAT(error_of({}, 0, 1), HasSubstr("--devices: no device given"));
  // The local rank picks its entry: rank 0 of 2 gets the CPU, rank 1 the (missing) GPU.
  EXPECT_EQ(device_from_option({"cpu", "99"}, 0, 2), Device::cpu());
  EXPECT_THAT(error_of({"cpu", "99"}, 1, 2), HasSubstr("--devices 99: device cuda:99"));
}

}  // namespace
}  // namespace moemt::cli
