// Logging: human-readable lines on stderr (spdlog) and optional machine-readable JSON lines.
#pragma once

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <string>

namespace moemt::log {

// Sends console logging to stderr (stdout carries translations and scores). Called by main().
void init_console();

// Sets the console level: "trace", "debug", "info", "warn", "error", "off".
void set_level(const std::string& level);

// Appends one JSON object per line to `path` (created if missing); "" disables.
void set_json_path(const std::string& path);

// Writes `record` (plus a "time" field) to the JSON-lines log if one is open.
void json(nlohmann::json record);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace moemt::log
