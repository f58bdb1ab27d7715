// `moemt average`: checkpoint averaging, e.g. of the MODEL.iter<update> folders that
// `moemt train --keep-checkpoints N` keeps, into a new model directory.
#include "cli/command.h"
#include "cli/options.h"
#include "core/log.h"
#include "train/average.h"

namespace moemt::cli {
namespace {

int run_average(const std::vector<std::string>& args) {
  using S = std::string;
  po::options_description desc("moemt average options");
  // clang-format off
  desc.add_options()
    ("help,h", "print this help")
    ("config,c", po::value<std::vector<S>>()->composing(), "YAML config file(s); command-line flags win")
    ("models,m", po::value<std::vector<S>>()->multitoken()->composing(), "model directories to average (same config and vocabulary)")
    ("output,o", po::value<S>(), "model directory to write (a new folder, or a moemt model to replace)")
    ("log-level", po::value<S>()->default_value("info"), "console log level");
  // clang-format on
  po::variables_map vm;
  if (!parse_options("average", args, desc, vm)) return 0;
  log::set_level(vm["log-level"].as<S>());
  if (!vm.count("models")) throw Error("moemt average needs -m/--models DIR1 DIR2 ...");
  if (!vm.count("output")) throw Error("moemt average needs -o/--output DIR");
  train::average_models(vm["models"].as<std::vector<S>>(), vm["output"].as<S>());
  return 0;
}

}  // namespace
MOEMT_REGISTER_COMMAND("average", "average the parameters of models (checkpoint averaging)",
                       run_average);
}  // namespace moemt::cli
