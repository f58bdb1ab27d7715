// Console logging via spdlog, and the JSON-lines training/decoding log.
#include "core/log.h"

#include <chrono>
#include <fstream>
#include <mutex>

#include "core/error.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace moemt::log {
namespace {
std::mutex g_mu;
std::ofstream g_json;
}  // namespace

void init_console() {
  auto logger = spdlog::stderr_color_mt("moemt");
  logger->set_pattern("[%Y-%m-%d %H:%M:%S] [%^%l%$] %v");
  spdlog::set_default_logger(logger);
}

void set_level(const std::string& level) {
  auto lv = spdlog::level::from_str(level);
  if (lv == spdlog::level::off && level != "off")
    throw Error("unknown log level '{}' (use trace, debug, info, warn, error or off)", level);
  spdlog::set_level(lv);
}

void set_json_path(const std::string& path) {
  std::lock_guard lk(g_mu);
  if (g_json.is_open()) g_json.close();
  if (path.empty()) return;
  g_json.open(path, std::ios::app);
  if (!g_json) throw Error("{}: cannot open log file for writing", path);
}

void json(nlohmann::json record) {
  std::lock_guard lk(g_mu);
  if (!g_json.is_open()) return;
  auto now = std::chrono::system_clock::now();
  record["time"] = std::chrono::duration<double>(now.time_since_epoch()).count();
  g_json << record.dump() << '\n';
  g_json.flush();
}

}  // namespace moemt::log
