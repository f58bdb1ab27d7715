// `moemt train`'s architecture flags, generated from the model's field table
// (model/config_fields.h), so they have the keys, ranges, defaults and help of config.yml.
#pragma once

#include <string>
#include <vector>

#include "cli/options.h"
#include "model/config.h"

namespace moemt::cli {

// Adds a flag for each row that is not derived from the data: model rows to `model`, the
// `moe` switch and the MoE rows (--moe-KEY, with --moe-enc-KEY/--moe-dec-KEY for per-stack
// rows) to `moe`. Defaults come from a default ModelConfig.
void add_model_options(po::options_description& model, po::options_description& moe);

// The architecture that the flags in `vm` (filled by parse_options) describe; the fields
// derived from the data keep their values in `c`. Unknown enum names are Errors naming them.
void read_model_options(const po::variables_map& vm, model::ModelConfig& c);

// The long names add_model_options adds, in --help order.
std::vector<std::string> model_option_names();

}  // namespace moemt::cli
