// Progress of a long decoding run on stderr: a bar with sentences/s, tokens/s and ETA on a
// terminal; a plain line every few seconds otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace moemt::report {

class Progress {
 public:
  // `total` sentences; `label` starts each line. tty < 0: detect from stderr. A disabled
  // Progress only keeps time.
  Progress(int64_t total, std::string label, bool enabled = true, int tty = -1,
           double plain_interval_s = 10.0);
  // Absolute counts so far.
  void update(int64_t sentences, int64_t tokens);
  // Final line (always printed, with the whole run's rates).
  void finish();
  double elapsed() const;

 private:
  std::string line(bool final) const;
  int64_t total_, done_ = 0, tokens_ = 0;
  std::string label_;
  bool enabled_, tty_;
  double interval_, last_print_ = 0, last_draw_ = -1;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace moemt::report
