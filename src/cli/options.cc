// YAML-to-program_options bridge, --dump-config and schedule units.
#include "cli/options.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "core/error.h"

namespace moemt::cli {

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
  po::parsed_options parsed(&desc);
  Walk walk{path, desc, parsed};
  flatten(root, "", 0, walk);
  try {
    po::store(parsed, vm);
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
    else out << YAML::Null;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

train::Amount parse_schedule(const std::string& option, const std::string& text) {
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
  if (pos == 0 || num < 0 || !(unit.empty() || unit == "u" || unit == "e" || unit == "t"))
    throw Error("--{}: cannot read '{}' (use e.g. 500u for updates, 5e for epochs, 10Mt for target tokens)",
                option, text);
  a.unit = unit == "e" ? train::Amount::epochs : unit == "t" ? train::Amount::tokens : train::Amount::updates;
  a.value = static_cast<int64_t>(num * mult + 0.5);
  return a;
}

}  // namespace moemt::cli
