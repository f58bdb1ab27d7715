// File helpers shared by checkpoints, logs and corpora: whole-file reads with clear errors,
// and atomic writes (write a temp file in the same folder, fsync, rename over the target).
#pragma once

#include <string>
#include <string_view>

namespace moemt {

std::string read_file(const std::string& path);  // throws Error naming the path
void write_file_atomic(const std::string& path, std::string_view content);
bool path_exists(const std::string& path);
void make_dirs(const std::string& path);  // mkdir -p; throws Error on failure

// Replaces directory `dst` by directory `src` atomically (Linux renameat2 RENAME_EXCHANGE when
// dst exists), then removes the old contents. Readers see either the old or the new dir.
void replace_dir_atomic(const std::string& src, const std::string& dst);

}  // namespace moemt
