// Entry point of the `moemt` binary: dispatches to a registered subcommand and turns
// user errors into one clear line on stderr and a non-zero exit.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <boost/program_options/errors.hpp>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/log.h"

namespace moemt::cli {

std::map<std::string, Command>& registry() {
  static std::map<std::string, Command> r;
  return r;
}

namespace {
void print_usage() {
  std::fprintf(stderr, "usage: moemt <command> [options]   (moemt <command> --help for details)\n\n");
  std::fprintf(stderr, "commands:\n");
  for (const auto& [name, cmd] : registry())
    std::fprintf(stderr, "  %-12s %s\n", name.c_str(), cmd.summary.c_str());
}
}  // namespace

}  // namespace moemt::cli

int main(int argc, char** argv) {
  using namespace moemt::cli;
  moemt::log::init_console();
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    print_usage();
    return argc < 2 ? 1 : 0;
  }
  if (std::string(argv[1]) == "--version") {
    std::printf("moemt 0.1.0\n");
    return 0;
  }
  auto it = registry().find(argv[1]);
  if (it == registry().end()) {
    std::fprintf(stderr, "moemt: unknown command '%s'\n\n", argv[1]);
    print_usage();
    return 2;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    return it->second.run(args);
  } catch (const moemt::Error& e) {
    std::fprintf(stderr, "moemt %s: error: %s\n", argv[1], e.what());
  } catch (boost::program_options::error& e) {
    std::fprintf(stderr, "moemt %s: error: %s (see moemt %s --help)\n", argv[1],
                 option_error_text(e).c_str(), argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moemt %s: internal error: %s\n", argv[1], e.what());
    return 3;
  }
  return 1;
}
