// File helpers shared by checkpoints, logs and corpora: whole-file reads with clear errors,
// and atomic writes (write a temp file in the same folder, fsync, rename over the target).
#pragma once

#include <string>
#include <string_view>

namespace moemt {

std::string read_file(const std::string& path);  // throws Error naming the path
void write_file_atomic(const std::string& path, std::string_view content);
bool path_exists(const std::string& path);

// True when both paths name the same existing file (hard links and symlinks included).
bool same_file(const std::string& a, const std::string& b);

// The temporary name every writer uses beside `path`: "path.TAG.PID". One naming scheme, so
// remove_stale_temps() can find what a killed process left behind.
std::string temp_sibling(const std::string& path, const char* tag);

// Removes "path.TAG.PID" files and folders (TAG: tmp, writing, old) whose PID is no longer a
// running process: leftovers of a kill -9 during a save. Entries of live processes (another
// run writing the same model) are kept. Returns how many were removed.
int remove_stale_temps(const std::string& path);
void make_dirs(const std::string& path);  // mkdir -p; throws Error on failure

// Replaces directory `dst` by directory `src` atomically (Linux renameat2 RENAME_EXCHANGE when
// dst exists), then removes the old contents. Readers see either the old or the new dir.
void replace_dir_atomic(const std::string& src, const std::string& dst);

}  // namespace moemt
