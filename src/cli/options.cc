// YAML-to-program_options bridge, --dump-config and schedule units.
#include "cli/options.h"

#include <fmt/ranges.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "core/cuda_runtime.h"
#include "core/error.h"
#include "core/log.h"
#include "core/memory.h"
#include "core/threads.h"

namespace moemt::cli {

namespace {

// Thrown while Boost parses a value; Boost adds the option's name (%canonical_option%).
po::error_with_option_name value_error(const std::string& what) {
  return po::error_with_option_name("%canonical_option%: " + what);
}

}  // namespace

template <typename T, typename E>
BoundedValue<T, E>* BoundedValue<T, E>::default_value(const T& v) {
  if constexpr (std::is_same_v<T, E>)
    MOEMT_CHECK(range_.contains(v), "default {} outside its range {}", v, range_.text());
  po::typed_value<T>::default_value(v, fmt::format("{}", v));
  return this;
}

template <typename T, typename E>
BoundedValue<T, E>* BoundedValue<T, E>::implicit_value(const T& v) {
  if constexpr (std::is_same_v<T, E>)
    MOEMT_CHECK(range_.contains(v), "implicit value {} outside its range {}", v, range_.text());
  po::typed_value<T>::implicit_value(v, fmt::format("{}", v));
  implicit_ = v;
  return this;
}

template <typename T, typename E>
std::string BoundedValue<T, E>::name() const {
  const std::string r = range_.text();
  return po::typed_value<T>::name() + (r[0] == '[' ? " in " : " ") + r;
}

template <typename T, typename E>
E BoundedValue<T, E>::parse_one(const std::string& token) const {
  const char* b = token.data();
  const char* e = b + token.size();
  if (b != e && *b == '+') ++b;  // from_chars takes no '+'
  E v{};
  if constexpr (std::is_floating_point_v<E>) {
    double d = 0;
    auto [p, ec] = std::from_chars(b, e, d);
    if (ec == std::errc::result_out_of_range) throw value_error(range_.out_of_range(token));
    if (ec != std::errc() || p != e || b == e)
      throw value_error(fmt::format("'{}' is not a number", token));
    if (!std::isfinite(d)) throw value_error(fmt::format("{} is not a finite number", token));
    if (d < range_.lo || d > range_.hi) throw value_error(range_.out_of_range(token));
    v = static_cast<E>(d);
  } else {
    // Wider types first, so "-5" for an unsigned option and 2^40 for an int are range errors
    // rather than wrapped or "invalid" values.
    using Wide = std::conditional_t<std::is_signed_v<E>, long long, unsigned long long>;
    Wide w = 0;
    if (std::is_unsigned_v<E> && b != e && *b == '-') {
      long long neg = 0;
      auto [p, ec] = std::from_chars(b, e, neg);
      if (ec == std::errc() && p == e) throw value_error(range_.out_of_range(token));
      throw value_error(fmt::format("'{}' is not a whole number", token));
    }
    auto [p, ec] = std::from_chars(b, e, w);
    if (ec == std::errc::result_out_of_range) throw value_error(range_.out_of_range(token));
    if (ec != std::errc() || p != e || b == e)
      throw value_error(fmt::format("'{}' is not a whole number", token));
    if (w < static_cast<Wide>(range_.lo) || w > static_cast<Wide>(range_.hi))
      throw value_error(range_.out_of_range(token));
    v = static_cast<E>(w);
  }
  return v;
}

template <typename T, typename E>
void BoundedValue<T, E>::xparse(boost::any& store, const std::vector<std::string>& tokens) const {
  if constexpr (std::is_same_v<T, E>) {
    // An option with an implicit value (Marian's `--exponential-smoothing` alone) is also a
    // switch in YAML: true gives the implicit value, false the default.
    if (implicit_ && (tokens.empty() || tokens[0] == "true" || tokens[0] == "yes")) {
      store = *implicit_;
      return;
    }
    if (implicit_ && (tokens[0] == "false" || tokens[0] == "no")) {
      this->apply_default(store);
      return;
    }
    if (tokens.size() != 1) throw value_error("takes one value");
    store = parse_one(tokens[0]);
  } else {
    if (store.empty()) store = T();
    T& list = boost::any_cast<T&>(store);
    for (const auto& t : tokens) list.push_back(parse_one(t));
  }
}

template class BoundedValue<int>;
template class BoundedValue<int64_t>;
template class BoundedValue<uint64_t>;
template class BoundedValue<float>;
template class BoundedValue<double>;
template class BoundedValue<std::vector<float>, float>;
template class BoundedValue<std::vector<int>, int>;
static_assert(std::is_same_v<size_t, uint64_t>, "size_t options use BoundedValue<uint64_t>");

void check_memory(int64_t bytes, const std::string& what, const std::string& advice,
                  Device device) {
  if (!device.is_cpu()) {
    const CudaDeviceInfo d = cuda_device_info(device.index);
    if (bytes <= static_cast<int64_t>(d.free_bytes)) return;
    throw Error("{} needs {} but only {} of {}'s memory is free ({} in total); lower {}", what,
                format_bytes(static_cast<double>(bytes)),
                format_bytes(static_cast<double>(d.free_bytes)), device.str(),
                format_bytes(static_cast<double>(d.total_bytes)), advice);
  }
  const int64_t avail = available_memory_bytes();
  if (avail < 0 || bytes <= avail) return;
  throw Error("{} needs {} but only {} of memory is available; lower {}", what,
              format_bytes(static_cast<double>(bytes)), format_bytes(static_cast<double>(avail)),
              advice);
}

Device device_from_option(const std::vector<std::string>& devices, int local_rank,
                          int local_size) {
  if (devices.empty()) throw Error("--devices: no device given (use cpu, cuda:N or N)");
  const size_t n = devices.size();
  if (n > 1 && static_cast<int>(n) != local_size)
    throw Error("--devices {}: {} devices for {} process(es) on this node; give one device, or "
                "one per process (mpirun -np {} ... --devices {})",
                fmt::join(devices, " "), n, local_size, n, fmt::join(devices, " "));
  const std::string& entry = devices[n > 1 ? static_cast<size_t>(local_rank) : 0];
  try {
    Device d = parse_device(entry);
    require_device(d);
    return d;
  } catch (const Error& e) {
    throw Error("--devices {}: {}", entry, e.what());
  }
}

po::typed_value<std::vector<std::string>>* devices_value(std::vector<std::string>* store) {
  return po::value<std::vector<std::string>>(store)->multitoken()->default_value({"cpu"}, "cpu");
}

DType precision_from_option(const std::vector<std::string>& values) {
  if (values.empty() || values.size() > 2)
    throw Error("--precision takes one or two values (float32 or bfloat16 [float32]), got {}",
                values.size());
  if (values.size() == 2 && values[1] != "float32")
    throw Error(
        "--precision {} {}: the optimizer keeps float32 master weights and state; the "
        "second value must be float32",
        values[0], values[1]);
  if (values[0] == "float32") return DType::f32;
  if (values[0] == "bfloat16") return DType::bf16;
  if (values[0] == "float16")
    throw Error(
        "--precision float16: not supported (moemt's mixed precision is bfloat16, which "
        "needs no loss scaling); use bfloat16 or float32");
  throw Error("--precision {}: expected float32 or bfloat16", values[0]);
}

po::typed_value<std::vector<std::string>>* precision_value(std::vector<std::string>* store) {
  return po::value<std::vector<std::string>>(store)->multitoken()->default_value({"float32"},
                                                                                 "float32");
}

int launcher_size(bool local) {
  const char* names[] = {local ? "OMPI_COMM_WORLD_LOCAL_SIZE" : "OMPI_COMM_WORLD_SIZE",
                         local ? "MPI_LOCALNRANKS" : "PMI_SIZE"};
  for (const char* name : names)
    if (const char* v = std::getenv(name)) return std::max(1, std::atoi(v));
  return 1;
}

int launcher_local_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID"})
    if (const char* v = std::getenv(name)) return std::max(0, std::atoi(v));
  return 0;
}

int cap_cpu_threads(int requested, const std::string& option) {
  const int cores = available_cores();
  if (requested <= 0) return cores;
  if (requested > cores) {
    log::warn("--{} {}: only {} core(s) available to this process; using {} threads", option,
              requested, cores, cores);
    return cores;
  }
  return requested;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

namespace {

std::string suggestion(const po::options_description& desc, const std::string& key) {
  std::string best;
  size_t best_d = 4;
  for (const auto& opt : desc.options()) {
    size_t d = edit_distance(opt->long_name(), key);
    if (d < best_d) {
      best_d = d;
      best = opt->long_name();
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

// Limits far beyond any real config (tens of keys, option names of a few parts) that stop
// YAML aliases from expanding into an exponential walk or recursing through a cycle.
constexpr int kMaxConfigDepth = 16;
constexpr int64_t kMaxConfigEntries = 10000;

// Keys and list items must be plain values: a map or list there has no meaning as a flag.
std::string scalar_text(const YAML::Node& n, const std::string& path, const char* what) {
  if (n.IsScalar()) return n.Scalar();
  throw Error("{}:{}: {} must be a plain value, not {}", path, n.Mark().line + 1, what,
              n.IsMap()        ? "a map"
              : n.IsSequence() ? "a list"
                               : "empty");
}

struct Walk {
  const std::string& path;
  const po::options_description& desc;
  po::parsed_options& out;
  std::map<std::string, int>& lines;  // option -> line, for errors Boost reports by name
  int64_t entries = 0;
};

void flatten(const YAML::Node& node, const std::string& prefix, int depth, Walk& w) {
  const std::string& path = w.path;
  if (depth > kMaxConfigDepth)
    throw Error("{}:{}: maps nested deeper than {} levels (a recursive alias?)", path,
                node.Mark().line + 1, kMaxConfigDepth);
  for (const auto& kv : node) {
    int line = kv.first.Mark().line + 1;
    if (++w.entries > kMaxConfigEntries)
      throw Error("{}:{}: more than {} entries (aliases expanding?); a config holds options", path,
                  line, kMaxConfigEntries);
    std::string key = scalar_text(kv.first, path, "an option name");
    std::string full = prefix.empty() ? key : prefix + "-" + key;
    const YAML::Node& v = kv.second;
    if (v.IsMap()) {
      flatten(v, full, depth + 1, w);
      continue;
    }
    const po::option_description* d = w.desc.find_nothrow(full, false);
    if (!d) throw Error("{}:{}: unknown option '{}'{}", path, line, full, suggestion(w.desc, full));
    w.lines[full] = line;
    po::option opt;
    opt.string_key = full;
    if (v.IsSequence()) {
      for (const auto& item : v) opt.value.push_back(scalar_text(item, path, "a list item"));
    } else if (v.IsNull()) {
      // "key:" with no value: a switch that is on, or an empty list
    } else {
      std::string text = scalar_text(v, path, "a value");
      if (d->semantic()->max_tokens() == 0) {  // bool_switch: only true/false make sense
        if (text == "false" || text == "no" || text == "0") continue;
        if (text != "true" && text != "yes" && text != "1")
          throw Error("{}:{}: option '{}' is a switch; use true or false", path, line, full);
      } else {
        opt.value.push_back(text);
      }
    }
    opt.original_tokens = opt.value;
    w.out.options.push_back(opt);
  }
}

// Reaches the substitutions (placeholder -> text) of a Boost error, a protected member.
struct PoErrorAccess : po::error_with_option_name {
  static std::map<std::string, std::string>& substitutions(po::error_with_option_name& e) {
    return e.*(&PoErrorAccess::m_substitutions);
  }
};

}  // namespace

std::string option_error_text(po::error& e) {
  auto* named = dynamic_cast<po::error_with_option_name*>(&e);
  if (!named) return e.what();
  // Boost substitutes each "%name%" until none is left, so user text holding "%value%" never
  // ends; its '%' are parked in a byte Boost leaves alone and restored after formatting.
  for (auto& [name, text] : PoErrorAccess::substitutions(*named))
    std::replace(text.begin(), text.end(), '%', '\x01');
  std::string text = e.what();
  std::replace(text.begin(), text.end(), '\x01', '%');
  return text;
}

bool parse_options(const std::string& command, const std::vector<std::string>& args,
                   po::options_description& desc, po::variables_map& vm,
                   const po::positional_options_description* positional) {
  po::command_line_parser parser(args);
  parser.options(desc);
  if (positional) parser.positional(*positional);
  po::store(parser.run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: moemt " << command << " [options]\n\n" << desc << "\n";
    return false;
  }
  if (vm.count("config")) {
    for (const auto& path : vm["config"].as<std::vector<std::string>>()) {
      std::ifstream in(path, std::ios::binary);
      if (!in) throw Error("{}: cannot open config file", path);
      std::stringstream text;
      text << in.rdbuf();
      store_config(text.str(), path, desc, vm);
    }
  }
  po::notify(vm);
  return true;
}

void store_config(const std::string& yaml_text, const std::string& path,
                  const po::options_description& desc, po::variables_map& vm) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::DeepRecursion& e) {  // its own message says "bad file"
    throw Error("{}:{}: YAML nested deeper than {} levels", path, e.mark.line + 1, e.depth());
  } catch (const YAML::Exception& e) {
    throw Error("{}:{}: YAML syntax error: {}", path, e.mark.line + 1, e.msg);
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) throw Error("{}: a config file must be a YAML map of option: value", path);
  // Long-option style, so that errors name keys as the flags they are ("--dim-emb").
  po::parsed_options parsed(&desc, po::command_line_style::allow_long);
  std::map<std::string, int> lines;
  Walk walk{path, desc, parsed, lines};
  flatten(root, "", 0, walk);
  try {
    po::store(parsed, vm);
  } catch (po::error_with_option_name& e) {
    std::string key = e.get_option_name();
    key.erase(0, key.find_first_not_of('-'));
    auto it = lines.find(key);
    if (it == lines.end()) throw Error("{}: {}", path, option_error_text(e));
    throw Error("{}:{}: {}", path, it->second, option_error_text(e));
  } catch (po::error& e) {
    throw Error("{}: {}", path, option_error_text(e));
  }
}

std::string dump_options(const po::options_description& desc, const po::variables_map& vm) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const auto& opt : desc.options()) {
    const std::string& name = opt->long_name();
    if (name == "help" || name == "config" || name == "dump-config") continue;
    auto it = vm.find(name);
    if (it == vm.end() || it->second.empty()) continue;
    const boost::any& v = it->second.value();
    out << YAML::Key << name << YAML::Value;
    if (auto p = boost::any_cast<std::string>(&v)) out << *p;
    else if (auto p = boost::any_cast<int>(&v)) out << *p;
    else if (auto p = boost::any_cast<int64_t>(&v)) out << *p;
    else if (auto p = boost::any_cast<size_t>(&v)) out << *p;
    else if (auto p = boost::any_cast<float>(&v)) out << *p;
    else if (auto p = boost::any_cast<double>(&v)) out << *p;
    else if (auto p = boost::any_cast<bool>(&v)) out << *p;
    else if (auto p = boost::any_cast<std::vector<std::string>>(&v)) out << YAML::Flow << *p;
    else if (auto p = boost::any_cast<std::vector<int>>(&v)) out << YAML::Flow << *p;
    else if (auto p = boost::any_cast<std::vector<float>>(&v)) out << YAML::Flow << *p;
    else out << YAML::Null;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

train::Amount parse_schedule(const std::string& option, const std::string& text, bool time_units) {
  train::Amount a;
  if (text.empty() || text == "0") return a;
  size_t pos = 0;
  double num = 0;
  try {
    num = std::stod(text, &pos);
  } catch (...) {
    pos = 0;
  }
  std::string unit = text.substr(pos);
  double mult = 1;
  if (!unit.empty() && (unit[0] == 'k' || unit[0] == 'M' || unit[0] == 'G') && unit.size() == 2) {
    mult = unit[0] == 'k' ? 1e3 : unit[0] == 'M' ? 1e6 : 1e9;
    unit = unit.substr(1);
  }
  const bool is_time = time_units && (unit == "s" || unit == "m" || unit == "h");
  if (is_time) mult *= unit == "h" ? 3600 : unit == "m" ? 60 : 1;
  // Up to 1e15 of any unit: more than any run reaches, and exact after rounding to int64.
  if (pos == 0 || !std::isfinite(num) || num < 0 || num * mult > 1e15 ||
      !(is_time || unit.empty() || unit == "u" || unit == "e" || unit == "t"))
    throw Error(
        "--{}: cannot read '{}' (use e.g. 500u for updates, 5e for epochs, 10Mt for target "
        "tokens{})",
        option, text, time_units ? ", 90s, 30m or 2h of training time" : "");
  a.unit = is_time       ? train::Amount::seconds
           : unit == "e" ? train::Amount::epochs
           : unit == "t" ? train::Amount::tokens
                         : train::Amount::updates;
  a.value = static_cast<int64_t>(num * mult + 0.5);
  return a;
}

train::Budget parse_budget(const std::string& option, const std::string& text) {
  train::Budget b;
  if (text.empty()) return b;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string part = text.substr(start, comma == std::string::npos ? comma : comma - start);
    if (part.empty())
      throw Error("--{}: empty item in '{}' (write limits as 10000u,30m)", option, text);
    train::Amount a = parse_schedule(option, part, /*time_units=*/true);
    for (const train::Amount& have : b.limits)
      if (have.unit == a.unit)
        throw Error("--{}: '{}' gives two limits in the same unit", option, text);
    if (a.enabled()) b.limits.push_back(a);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return b;
}

}  // namespace moemt::cli
