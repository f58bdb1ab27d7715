// Progress display for `moemt eval`.
#include "report/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace moemt::report {

Progress::Progress(int64_t total, std::string label, bool enabled, int tty, double plain_interval_s)
    : total_(total),
      label_(std::move(label)),
      enabled_(enabled),
      tty_(tty < 0 ? ::isatty(STDERR_FILENO) != 0 : tty != 0),
      interval_(plain_interval_s),
      start_(std::chrono::steady_clock::now()) {}

double Progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progress::line(bool final) const {
  double t = std::max(elapsed(), 1e-9);
  double sps = static_cast<double>(done_) / t, tps = static_cast<double>(tokens_) / t;
  std::string s = fmt::format("{} {}/{} sentences, {:.1f} sent/s, {:.0f} tok/s, {:.1f}s", label_,
                              done_, total_, sps, tps, t);
  if (!final && sps > 0)
    s += fmt::format(", ETA {:.0f}s", static_cast<double>(total_ - done_) / sps);
  return s;
}

void Progress::update(int64_t sentences, int64_t tokens) {
  done_ = sentences;
  tokens_ = tokens;
  if (!enabled_) return;
  double t = elapsed();
  if (tty_) {
    // Redraw at most ten times a second (and always at the end): mini-batches can be tiny.
    if (t - last_draw_ < 0.1 && done_ < total_) return;
    last_draw_ = t;
    constexpr int kWidth = 30;
    int fill = total_ > 0 ? static_cast<int>(kWidth * done_ / total_) : kWidth;
    std::string bar = std::string(fill, '#') + std::string(kWidth - fill, '.');
    std::fprintf(stderr, "\r[%s] %s\x1b[K", bar.c_str(), line(false).c_str());
    std::fflush(stderr);
  } else if (t - last_print_ >= interval_) {
    last_print_ = t;
    std::fprintf(stderr, "%s\n", line(false).c_str());
  }
}

void Progress::finish() {
  if (!enabled_) return;
  if (tty_) std::fprintf(stderr, "\r\x1b[K");
  std::fprintf(stderr, "%s\n", line(true).c_str());
  std::fflush(stderr);
}

}  // namespace moemt::report
