// Signal handlers for graceful interruption; only async-signal-safe calls inside them.
#include "train/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <utility>

namespace moemt::train {
namespace {

std::atomic<int> g_signal{0};
struct sigaction g_old_int, g_old_term;
// Guards alive: trainers of in-process ranks (tests) overlap; the first one installs the
// handlers and the last one restores what was there before.
std::mutex g_mu;
int g_depth = 0;

void on_signal(int sig) {
  if (g_signal.exchange(sig) != 0) {
    // Second signal: the user does not want to wait for the save. Die by the signal itself,
    // so the shell sees the usual status.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  const char* msg = sig == SIGINT
      ? "\nmoemt: interrupt received; saving a checkpoint after this update (Ctrl-C again quits at once)\n"
      : "\nmoemt: SIGTERM received; saving a checkpoint after this update\n";
  ssize_t n = ::write(STDERR_FILENO, msg, std::strlen(msg));
  (void)n;
}

}  // namespace

InterruptGuard::InterruptGuard() {
  std::lock_guard<std::mutex> lk(g_mu);
  if (g_depth++ > 0) return;
  g_signal.store(0);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // file reads and writes in the step go on undisturbed
  // A signal ignored on entry stays ignored (a background job of a non-interactive shell, nohup):
  // Ctrl-C typed for the foreground job must not stop it.
  for (auto [sig, old] : {std::pair{SIGINT, &g_old_int}, std::pair{SIGTERM, &g_old_term}}) {
    ::sigaction(sig, nullptr, old);
    if (old->sa_handler != SIG_IGN) ::sigaction(sig, &sa, nullptr);
  }
}

InterruptGuard::~InterruptGuard() {
  std::lock_guard<std::mutex> lk(g_mu);
  if (--g_depth > 0) return;
  ::sigaction(SIGINT, &g_old_int, nullptr);
  ::sigaction(SIGTERM, &g_old_term, nullptr);
}

int InterruptGuard::pending() { return g_signal.load(); }

}  // namespace moemt::train
