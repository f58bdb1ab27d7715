// `moemt train` options from one table: every architecture field of config.yml is a flag
// (except those the data fills in), its value reaches the ModelConfig, and --dump-config
// written to a file and read back with -c gives the same model.
#include "cli/train_options.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <type_traits>

#include "cli/options.h"
#include "core/error.h"
#include "model/config_fields.h"

namespace moemt::cli {
namespace {

using model::Field;

// A field's value as text (enum names, lists with spaces), to compare fields of any type.
template <typename T, typename E>
std::string text_of(const Field<T, E>& f) {
  if constexpr (std::is_enum_v<T>)
    return f.to_name(f.ref);
  else if constexpr (std::is_same_v<T, bool>)
    return f.ref ? "true" : "false";
  else if constexpr (std::is_same_v<T, std::string>)
    return f.ref;
  else if constexpr (std::is_arithmetic_v<T>)
    return fmt::format("{}", f.ref);
  else
    return fmt::format("{}", fmt::join(f.ref, " "));
}

// A settable row: its flag and the arguments of a value other than its default.
struct Row {
  std::string key, flag;
  std::vector<std::string> args;
  bool moe;
};

struct Collect {
  std::vector<Row>& rows;
  std::set<std::string>& derived;
  bool moe;
  template <typename T, typename E>
  void operator()(const Field<T, E>& f) const {
    if (f.has(model::kDerived)) {
      derived.insert(f.key);
      return;
    }
    Row r{f.key, (moe ? "--moe-" : "--") + std::string(f.key), {}, moe};
    if constexpr (std::is_enum_v<T>) {
      r.args = {f.to_name(static_cast<T>(static_cast<int>(f.ref) + 1))};
    } else if constexpr (std::is_same_v<T, bool>) {
      if (f.ref) r.args = {"false"};  // off by default: a switch without a value
    } else if constexpr (std::is_same_v<T, std::string>) {
      r.args = {"gru"};
    } else if constexpr (std::is_arithmetic_v<T>) {
      const T step = std::is_integral_v<T> ? T(2) : T(0.5);
      r.args = {fmt::format("{}", f.ref + step <= f.range.hi ? f.ref + step : f.ref - step)};
    } else {
      r.args = {"0", "2"};
    }
    rows.push_back(r);
  }
};

// The text of the row `key` in config `c` (MoE rows: of stack `stack`).
struct Find {
  const std::string& key;
  std::string& out;
  template <typename T, typename E>
  void operator()(const Field<T, E>& f) const {
    if (key == f.key) out = text_of(f);
  }
};

std::string value_of(model::ModelConfig& c, const Row& r, int stack) {
  std::string out = "(no such row)";
  if (r.moe)
    model::visit_moe_fields(stack == 0 ? c.moe.encoder : c.moe.decoder, Find{r.key, out});
  else
    model::visit_model_fields(c, Find{r.key, out});
  return out;
}

std::vector<Row> settable_rows(std::set<std::string>& derived) {
  std::vector<Row> rows;
  model::ModelConfig c;
  model::visit_model_fields(c, Collect{rows, derived, false});
  model::visit_moe_fields(c.moe.encoder, Collect{rows, derived, true});
  return rows;
}

TEST(TrainOptions, OnlyDataDerivedFieldsLackAFlag) {
  std::set<std::string> derived;
  std::vector<Row> rows = settable_rows(derived);
  // The data fills these in; `max-length` comes from the data option of that name; the
  // served languages and kept groups are written by `moemt extract` only.
  EXPECT_EQ(derived, (std::set<std::string>{"vocab-size", "max-length", "languages",
                                            "language-groups", "src-languages", "tgt-languages",
                                            "kept-groups"}));
  EXPECT_GE(rows.size(), 36u);
}

TEST(TrainOptions, EveryModelFieldIsSettableAndRoundTripsThroughDumpConfig) {
  std::set<std::string> derived;
  const std::vector<Row> rows = settable_rows(derived);
  std::vector<std::string> args;
  for (const Row& r : rows) {
    args.push_back(r.flag);
    args.insert(args.end(), r.args.begin(), r.args.end());
  }
  TrainCommandLine set = parse_train_args(args);
  model::ModelConfig defaults, given = set.options.model;
  for (const Row& r : rows) {
    for (int stack = 0; stack < (r.moe ? 2 : 1); ++stack) {
      const std::string value = value_of(given, r, stack);
      EXPECT_NE(value, value_of(defaults, r, stack)) << r.flag << " did not change the model";
      if (r.args.empty()) continue;  // a switch
      // Numbers are compared as parsed ("0.6" is 0.6f); the rest as given.
      std::string want = fmt::format("{}", fmt::join(r.args, " "));
      if (r.key != "groups" && want.find_first_not_of("0123456789.") == std::string::npos &&
          want.find('.') != std::string::npos)
        want = fmt::format("{}", std::stof(want));
      EXPECT_EQ(value, want) << r.flag;
    }
  }

  // --dump-config, read back with -c, gives the same options (the lists and switches too).
  args.push_back("--dump-config");
  TrainCommandLine dumped = parse_train_args(args);
  ASSERT_EQ(dumped.action, TrainCommandLine::Action::dump_config);
  const auto path = std::filesystem::temp_directory_path() / "moemt_train_options_dump.yml";
  std::ofstream(path) << dumped.config_yaml;
  TrainCommandLine back = parse_train_args({"-c", path.string()});
  std::filesystem::remove(path);
  model::ModelConfig reread = back.options.model;
  for (const Row& r : rows)
    for (int stack = 0; stack < (r.moe ? 2 : 1); ++stack)
      EXPECT_EQ(value_of(reread, r, stack), value_of(given, r, stack)) << r.flag;
  // And the config.yml written for both is the same, every key included (type lstm, MoE on).
  given.languages = reread.languages = {"eng_Latn"};
  EXPECT_EQ(model::to_yaml(reread), model::to_yaml(given));
  EXPECT_NE(model::to_yaml(given).find("router-init-std: 0.519999981"), std::string::npos);
}

TEST(TrainOptions, PerStackFlagsOverrideOneStack) {
  TrainCommandLine cl = parse_train_args({"--moe-every", "3", "--moe-dec-every", "1",
                                          "--moe-enc-group-by", "learned", "--moe-groups", "2"});
  const auto& m = cl.options.model.moe;
  EXPECT_EQ(m.encoder.every, 3);
  EXPECT_EQ(m.decoder.every, 1);
  EXPECT_EQ(m.encoder.group_by, moe::GroupBy::learned);
  EXPECT_EQ(m.decoder.group_by, moe::GroupBy::none);
  EXPECT_EQ(m.encoder.num_groups, 2);
  EXPECT_EQ(m.decoder.num_groups, 1);  // groups mean nothing without hierarchical routing
}

TEST(TrainOptions, BadNamesAndRangesAreErrors) {
  try {
    parse_train_args({"--type", "gru"});
    FAIL() << "accepted --type gru";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown model type 'gru' (expected transformer or lstm)");
  }
  EXPECT_THROW(parse_train_args({"--moe-router-init-std", "-1"}), po::error);
  EXPECT_THROW(parse_train_args({"--moe-enc-every", "-2"}), po::error);
}

// --precision (Marian's): float32 by default; bfloat16 (optionally with Marian's second value,
// float32, for the optimizer) selects mixed precision; a YAML key round-trips through
// --dump-config; float16 and anything else are one-line errors naming the option.
TEST(TrainOptions, PrecisionFlag) {
  EXPECT_EQ(parse_train_args({}).options.precision, DType::f32);
  EXPECT_EQ(parse_train_args({"--precision", "bfloat16"}).options.precision, DType::bf16);
  EXPECT_EQ(parse_train_args({"--precision", "bfloat16", "float32"}).options.precision,
            DType::bf16);
  TrainCommandLine dumped = parse_train_args({"--precision", "bfloat16", "--dump-config"});
  auto path = std::filesystem::temp_directory_path() /
              ("moemt_precision_" + std::to_string(::getpid()) + ".yml");
  std::ofstream(path) << dumped.config_yaml;
  EXPECT_EQ(parse_train_args({"-c", path.string()}).options.precision, DType::bf16);
  std::filesystem::remove(path);
  const std::pair<std::vector<std::string>, std::string> bad[] = {
      {{"--precision", "float16"},
       "--precision float16: not supported (moemt's mixed precision is bfloat16, which needs no "
       "loss scaling); use bfloat16 or float32"},
      {{"--precision", "bf16"}, "--precision bf16: expected float32 or bfloat16"},
      {{"--precision", "bfloat16", "bfloat16"},
       "--precision bfloat16 bfloat16: the optimizer keeps float32 master weights and state; the "
       "second value must be float32"}};
  for (const auto& [args, message] : bad) {
    try {
      parse_train_args(args);
      ADD_FAILURE() << "accepted " << fmt::format("{}", fmt::join(args, " "));
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), message);
    }
  }
}

TEST(TrainOptions, ResumeChecksOnlyArchitectureOptionsGiven) {
  TrainCommandLine cl = parse_train_args(
      {"--dim-emb", "64", "--moe-z-loss", "0.01", "-l", "0.001", "--vocab-size", "500"});
  EXPECT_EQ(cl.fixed_given, (std::vector<std::string>{"vocab-size", "dim-emb", "moe-z-loss"}));
}

}  // namespace
}  // namespace moemt::cli
