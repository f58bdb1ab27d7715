// `moemt train`'s options: one table of rows (flag, field of TrainOptions, range, default,
// help) plus the architecture rows generated from the model's field table; parsed from the
// command line and -c files into TrainOptions.
#pragma once

#include <string>
#include <vector>

#include "train/options.h"

namespace moemt::cli {

struct TrainCommandLine {
  enum class Action { run, help, dump_config } action = Action::run;
  train::TrainOptions options;
  std::string log_level;  // --log-level
  // The effective configuration as YAML: what --dump-config prints and train.yml holds.
  std::string config_yaml;
  // Architecture and vocabulary options given (not defaulted) that --resume must check
  // against the checkpoint's train.yml.
  std::vector<std::string> fixed_given;
};

// Parses `moemt train` arguments (after the subcommand). Throws Error or a Boost option error
// for bad input; with --help prints the usage.
TrainCommandLine parse_train_args(const std::vector<std::string>& args);

}  // namespace moemt::cli
