// libFuzzer harness: the `-c config.yml` path (store_config: YAML text -> options, then
// notify and --dump-config) against options of every value type the subcommands use.
// moemt::Error and Boost.Program_options errors are user errors, as the CLI reports them.
#include <boost/program_options.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/options.h"
#include "core/error.h"

namespace po = boost::program_options;

namespace {
// A slice of `moemt train`'s options (their real names and types), nested names included.
po::options_description make_desc() {
  using S = std::string;
  using VS = std::vector<std::string>;
  po::options_description d("fuzz");
  auto add = d.add_options();
  add("help,h", "");
  add("config,c", po::value<VS>()->composing(), "");
  add("dump-config", po::bool_switch(), "");
  add("model,m", po::value<S>(), "");
  add("seed", po::value<uint64_t>()->default_value(1), "");
  add("cpu-threads", po::value<int>()->default_value(0), "");
  add("train-sets,t", po::value<VS>()->multitoken()->composing(), "");
  add("vocab-size", po::value<int>()->default_value(8000), "");
  add("character-coverage", po::value<double>()->default_value(0), "");
  add("sentencepiece-max-lines", po::value<int64_t>()->default_value(2000000), "");
  add("both-directions", po::bool_switch(), "");
  add("language-groups", po::value<VS>()->multitoken()->composing(), "");
  add("transformer-dropout", po::value<float>()->default_value(0.1f), "");
  add("tied-embeddings-all", po::value<bool>()->default_value(true), "");
  add("moe", po::bool_switch(), "");
  add("moe-experts", po::value<int>()->default_value(8), "");
  add("moe-top-k", po::value<int>()->default_value(2), "");
  add("moe-dec-group-by", po::value<S>()->default_value("tgt"), "");
  add("after", po::value<S>()->default_value("0"), "");
  add("learn-rate", po::value<float>()->default_value(3e-4f), "");
  add("valid-sets", po::value<VS>()->multitoken()->composing(), "");
  add("mini-batch-words", po::value<int64_t>()->default_value(4096), "");
  add("devices,d", po::value<S>()->default_value("cpu"), "");
  return d;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const po::options_description desc = make_desc();
  po::variables_map vm;
  try {
    moemt::cli::store_config(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yml",
                             desc, vm);
    po::notify(vm);
    if (vm.count("after")) moemt::cli::parse_schedule("after", vm["after"].as<std::string>());
    moemt::cli::dump_options(desc, vm);
  } catch (const moemt::Error&) {
  } catch (const po::error&) {
  }
  return 0;
}
