// Subcommand registry for the `moemt` binary: each cmd_<name>.cc registers one entry with
// MOEMT_REGISTER_COMMAND, so main.cc never lists subcommands by hand.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace moemt::cli {

// argv excludes the binary and the subcommand name: `moemt score a.txt` passes {"a.txt"}.
using CommandFn = std::function<int(const std::vector<std::string>& args)>;

struct Command {
  std::string summary;  // one line for `moemt --help`
  CommandFn run;
};

std::map<std::string, Command>& registry();

struct Registrar {
  Registrar(const std::string& name, std::string summary, CommandFn fn) {
    registry()[name] = Command{std::move(summary), std::move(fn)};
  }
};

}  // namespace moemt::cli

#define MOEMT_REGISTER_COMMAND(name, summary, fn) \
  static ::moemt::cli::Registrar moemt_cmd_registrar_##fn(name, summary, fn)
