// OutputFile: every user-visible output (translations, reports, corpus files) is written under
// a temporary name beside the target and renamed over it on commit(), so a failed run never
// leaves a truncated file over an old one. "-" means standard output (written directly).
#pragma once

#include <fstream>
#include <memory>
#include <ostream>
#include <string>

namespace moemt {

class OutputFile {
 public:
  // Creates `path`.tmp.PID next to `path` (or uses stdout for "-"). Throws Error naming the
  // path when the folder is not writable or `path` is a directory.
  explicit OutputFile(std::string path);
  // Without commit() the temporary file is removed and the target is left as it was.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  std::ostream& stream() { return *out_; }
  const std::string& path() const { return path_; }
  bool is_stdout() const { return path_ == "-"; }

  // Flushes, fsyncs and renames the temporary file into place; throws Error on any write error.
  void commit();

 private:
  std::string path_, tmp_;
  std::ofstream file_;
  std::ostream* out_ = nullptr;
  bool committed_ = false;
};

// Writes `text` to `path` through an OutputFile (a convenience for whole-file outputs).
void write_output_file(const std::string& path, const std::string& text);

}  // namespace moemt
