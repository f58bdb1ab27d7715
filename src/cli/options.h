// Command-line + YAML configuration for subcommands: flags override `-c config.yml`, unknown
// keys are errors that name the file, line and the closest known option.
#pragma once

#include <boost/program_options.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/dtype.h"
#include "core/range.h"
#include "train/schedule.h"

namespace moemt::cli {

namespace po = boost::program_options;

// A numeric option (or a list of numbers) with an inclusive range. The value is checked where
// it is parsed, whatever its source (command line, -c YAML, a recipe), and a bad one fails
// with "--name: VALUE is out of range [LO, HI]"; NaN and infinities always fail, and so does
// a leading '-' for an unsigned option (Boost would wrap "-5" to 2^64 - 5). --help shows the
// range after the default: "arg (=256) in [8, 65536]".
template <typename T, typename E = T>
class BoundedValue : public po::typed_value<T> {
 public:
  BoundedValue(T* store, Range<E> range) : po::typed_value<T>(store), range_(range) {}
  // A default outside the range is a bug in the option table.
  BoundedValue* default_value(const T& v);
  // The value of the option given without one ("--exponential-smoothing" alone, or `true` in
  // YAML); `false` in YAML gives the default.
  BoundedValue* implicit_value(const T& v);
  std::string name() const override;
  void xparse(boost::any& store, const std::vector<std::string>& tokens) const override;
  const Range<E>& range() const { return range_; }

 private:
  E parse_one(const std::string& token) const;
  Range<E> range_;
  std::optional<T> implicit_;
};

// po::value<T>() with a range: bounded<int>(1, 64), bounded(&var, lo, hi), or from a shared
// constant: bounded(model::kDimEmbRange), bounded(&var, model::kDimEmbRange).
template <typename T>
BoundedValue<T>* bounded(Range<T> r) {
  return new BoundedValue<T>(nullptr, r);
}
template <typename T>
BoundedValue<T>* bounded(T lo, T hi) {
  return new BoundedValue<T>(nullptr, {lo, hi});
}
template <typename T>
BoundedValue<T>* bounded(T* store, std::type_identity_t<T> lo, std::type_identity_t<T> hi) {
  return new BoundedValue<T>(store, {lo, hi});
}
// Stored into a field when parsing ends (po::notify): bounded(&o.seed, kSeedRange).
template <typename T>
BoundedValue<T>* bounded(T* store, Range<T> r) {
  return new BoundedValue<T>(store, r);
}
// A list of numbers, each in [lo, hi].
template <typename E>
BoundedValue<std::vector<E>, E>* bounded_list(E lo, E hi) {
  return new BoundedValue<std::vector<E>, E>(nullptr, {lo, hi});
}

// Parses args against `desc` (+ positional), then fills options not given on the command line
// from the YAML files named by -c/--config (later files lose to earlier ones). Nested YAML maps
// are flattened with '-' ("moe: {experts: 8}" is "--moe-experts 8"). Throws Error for unknown
// keys. Returns false if --help was asked (usage already printed).
bool parse_options(const std::string& command, const std::vector<std::string>& args,
                   po::options_description& desc, po::variables_map& vm,
                   const po::positional_options_description* positional = nullptr);

// Ranges of options that several subcommands share (train, translate, eval, recipe).
inline constexpr Range<int> kCpuThreadsRange{0, 1024};  // above the cores: capped, with a warning
// Marian users go up to ~10^5 words and a few thousand sentences per batch; 100x that is still
// a sane request, beyond it only a typo.
inline constexpr Range<int64_t> kMiniBatchWordsRange{1, 10'000'000};
inline constexpr Range<int> kMiniBatchRange{1, 1'000'000};
inline constexpr Range<int> kMaxiBatchRange{1, 100'000};

// Throws Error when `bytes` exceed the memory this process can get (MemAvailable, or the
// cgroup limit if lower): "<what> needs X GiB but only Y GiB is available; lower <advice>".
// On a CUDA device: the device's free memory (cudaMemGetInfo) instead.
void check_memory(int64_t bytes, const std::string& what, const std::string& advice,
                  Device device = Device::cpu());

// --devices (Marian's flag): "cpu", "cuda:N", "gpuN" or a bare GPU index N. Several entries
// are one per process on this node: the process with local rank r (mpirun) takes entry r, so
// the list must have one entry per local process. Checks that the device is usable (a CUDA
// build, a GPU visible, an index in range); errors are one line naming --devices.
Device device_from_option(const std::vector<std::string>& devices, int local_rank = 0,
                          int local_size = 1);
// The --devices option for train, translate and eval (YAML key `devices`, a list or a scalar).
po::typed_value<std::vector<std::string>>* devices_value(std::vector<std::string>* store = nullptr);

// --precision (Marian's flag) for train, translate and eval: the type the GEMMs read, float32
// (default) or bfloat16 (mixed precision: f32 master weights, optimizer state, gradients and
// accumulation; nn/precision.h). Marian's optional second value, the optimizer's type, must be
// float32. Errors are one line naming --precision.
DType precision_from_option(const std::vector<std::string>& values);
po::typed_value<std::vector<std::string>>* precision_value(
    std::vector<std::string>* store = nullptr);
inline constexpr const char* kPrecisionHelp =
    "GEMM input type: float32, or bfloat16 (f32 master weights, optimizer state and "
    "accumulation; on the CPU a slow reference of the GPU path); Marian's optional second value "
    "(optimizer) must be float32";

// The number of processes mpirun (OpenMPI) or mpiexec (MPICH) started, from their environment
// variable `world` or `local` (processes on this node); 1 when not started by one.
int launcher_size(bool local);
// This process's rank among those mpirun started on this node (0 when not started by one).
int launcher_local_rank();
inline constexpr const char* kDevicesHelp =
    "device(s): cpu, cuda:N or a GPU index N (Marian: --devices 0); several = one per process "
    "on this node (mpirun), in local-rank order";

// Caps a --cpu-threads request at the cores this process may run on (affinity mask and cgroup
// CPU quota), with a one-line warning: more OpenMP/OpenBLAS threads than cores only slow down
// (or stall in OpenBLAS's spin-waits). 0 stays 0 (= all cores). `option` names the flag.
int cap_cpu_threads(int requested, const std::string& option = "cpu-threads");

// One config file's part of parse_options: stores the options in `yaml_text` (the file's
// contents; `path` names it in errors) that `vm` does not hold yet. Throws Error for a YAML
// syntax error, an unknown key or a bad value. Separate so it can be fuzzed without files.
void store_config(const std::string& yaml_text, const std::string& path,
                  const po::options_description& desc, po::variables_map& vm);

// The text of a Boost.Program_options error. Use this, not what(): Boost's own formatting
// loops forever when a value quoted in the message holds its placeholder ("%value%").
std::string option_error_text(po::error& e);

// The effective configuration as YAML (for --dump-config and for checkpoints).
std::string dump_options(const po::options_description& desc, const po::variables_map& vm);

// Marian-style schedule amounts: "500u" updates, "5e" epochs, "10Mt"/"20kt" target tokens;
// a bare number means updates. time_units also accepts "90s", "30m", "2h" (wall-clock seconds).
train::Amount parse_schedule(const std::string& option, const std::string& text,
                             bool time_units = false);
// --after: a comma list of amounts, time units included ("10000u,30m"), at most one per unit.
train::Budget parse_budget(const std::string& option, const std::string& text);

// Edit distance, for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace moemt::cli
