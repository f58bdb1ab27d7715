// Command-line + YAML configuration for subcommands: flags override `-c config.yml`, unknown
// keys are errors that name the file, line and the closest known option.
#pragma once

#include <boost/program_options.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "train/schedule.h"

namespace moemt::cli {

namespace po = boost::program_options;

// Parses args against `desc` (+ positional), then fills options not given on the command line
// from the YAML files named by -c/--config (later files lose to earlier ones). Nested YAML maps
// are flattened with '-' ("moe: {experts: 8}" is "--moe-experts 8"). Throws Error for unknown
// keys. Returns false if --help was asked (usage already printed).
bool parse_options(const std::string& command, const std::vector<std::string>& args,
                   po::options_description& desc, po::variables_map& vm,
                   const po::positional_options_description* positional = nullptr);

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
// a bare number means updates.
train::Amount parse_schedule(const std::string& option, const std::string& text);

// Edit distance, for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace moemt::cli
