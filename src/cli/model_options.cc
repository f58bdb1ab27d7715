// Boost.Program_options flags from the model's field table, and back into a ModelConfig.
#include "cli/model_options.h"

#include <fmt/format.h>

#include <algorithm>
#include <type_traits>

#include "core/error.h"
#include "model/config_fields.h"

namespace moemt::cli {

namespace {

using model::Field;

const char* const kStackNames[2] = {"enc", "dec"};

// MoE rows are --moe-KEY; the others are --KEY.
std::string flag_name(const char* prefix, const char* key) { return std::string(prefix) + key; }

template <typename T, typename E>
const po::value_semantic* semantic(const Field<T, E>& f) {
  if constexpr (std::is_enum_v<T>) {
    return po::value<std::string>()->default_value(f.to_name(f.ref));
  } else if constexpr (std::is_same_v<T, bool>) {
    // Off by default: a Marian-style switch (--moe); on: takes a value (--tied-embeddings-all
    // false).
    if (!f.ref) return po::bool_switch();
    return po::value<bool>()->default_value(true);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return po::value<std::string>()->default_value(f.ref);
  } else if constexpr (std::is_same_v<T, std::vector<int>>) {
    return bounded_list<int>(f.range.lo, f.range.hi)->multitoken();
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return po::value<T>()->multitoken();
  } else {
    static_assert(model::kIsRangedNumber<T>, "a field type without a flag form");
    if (f.has(model::kZeroIsAuto)) return bounded<T>(0, f.range.hi)->default_value(0);
    return bounded(f.range)->default_value(f.ref);
  }
}

// Per-stack overrides (--moe-enc-KEY / --moe-dec-KEY) exist for enums, text and signed whole
// numbers, whose "unset" is "" or -1 (meaning: as --moe-KEY).
template <typename T>
constexpr bool kCanOverride = std::is_enum_v<T> || std::is_same_v<T, std::string> ||
                              (std::is_integral_v<T> && std::is_signed_v<T>);

template <typename T, typename E>
const po::value_semantic* override_semantic(const Field<T, E>& f) {
  if constexpr (std::is_integral_v<T>)
    return bounded<T>(-1, f.range.hi)->default_value(-1);
  else
    return po::value<std::string>()->default_value("");
}

template <typename T>
bool overridden(const po::variables_map& vm, const std::string& name) {
  if constexpr (std::is_integral_v<T>)
    return vm[name].as<T>() >= 0;
  else
    return !vm[name].as<std::string>().empty();
}

struct Adder {
  po::options_description& model;
  po::options_description& moe;
  const char* prefix;  // "" for model rows, "moe-" for MoE rows
  template <typename T, typename E>
  void operator()(const Field<T, E>& f) const {
    if (f.has(model::kDerived)) return;
    const std::string name = flag_name(prefix, f.key);
    po::options_description& to = name.rfind("moe", 0) == 0 ? moe : model;
    to.add_options()(name.c_str(), semantic(f), f.help);
    if (!f.has(model::kPerStack)) return;
    if constexpr (kCanOverride<T>) {
      for (int s = 0; s < 2; ++s) {
        const std::string over = fmt::format("{}{}-{}", prefix, kStackNames[s], f.key);
        const std::string help =
            fmt::format("override --{} for the {}", name, s == 0 ? "encoder" : "decoder");
        to.add_options()(over.c_str(), override_semantic(f), help.c_str());
      }
    } else {
      MOEMT_CHECK(false, "--{}: per-stack overrides need an enum, text or signed number", name);
    }
  }
};

struct Reader {
  const po::variables_map& vm;
  const char* prefix;
  int stack;  // MoE rows: 0 encoder, 1 decoder (which override applies)
  template <typename T, typename E>
  void operator()(const Field<T, E>& f) const {
    if (f.has(model::kDerived)) return;
    std::string name = flag_name(prefix, f.key);
    if constexpr (kCanOverride<T>) {
      const std::string over = fmt::format("{}{}-{}", prefix, kStackNames[stack], f.key);
      if (f.has(model::kPerStack) && overridden<T>(vm, over)) name = over;
    }
    if (!vm.count(name)) return;  // a list not given
    if constexpr (std::is_enum_v<T>)
      f.ref = f.from_name(vm[name].as<std::string>());
    else
      f.ref = vm[name].as<T>();
  }
};

struct Namer {
  std::vector<std::string>& out;
  const char* prefix;
  template <typename T, typename E>
  void operator()(const Field<T, E>& f) const {
    if (f.has(model::kDerived)) return;
    out.push_back(flag_name(prefix, f.key));
    if (f.has(model::kPerStack))
      for (const char* s : kStackNames) out.push_back(fmt::format("{}{}-{}", prefix, s, f.key));
  }
};

}  // namespace

void add_model_options(po::options_description& model, po::options_description& moe) {
  model::ModelConfig defaults;
  model::visit_model_fields(defaults, Adder{model, moe, ""});
  model::visit_moe_fields(defaults.moe.encoder, Adder{model, moe, "moe-"});
}

void read_model_options(const po::variables_map& vm, model::ModelConfig& c) {
  model::visit_model_fields(c, Reader{vm, "", 0});
  for (int s = 0; s < 2; ++s) {
    moe::MoeConfig& m = s == 0 ? c.moe.encoder : c.moe.decoder;
    model::visit_moe_fields(m, Reader{vm, "moe-", s});
    // Groups only mean something to a stack that routes hierarchically; 0 (and 1) with routing
    // by family leave the count to the trainer (one group per language group in the data).
    m.num_groups = m.group_by == moe::GroupBy::none ? 1 : std::max(1, m.num_groups);
  }
}

std::vector<std::string> model_option_names() {
  std::vector<std::string> names;
  model::ModelConfig c;
  model::visit_model_fields(c, Namer{names, ""});
  model::visit_moe_fields(c.moe.encoder, Namer{names, "moe-"});
  return names;
}

}  // namespace moemt::cli
