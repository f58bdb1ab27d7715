// Graceful interruption of training (Marian's --sigterm save-and-exit): SIGINT and SIGTERM
// only raise a flag that the trainer reads at the next update boundary; a second signal quits.
#pragma once

namespace moemt::train {

// Installs the handlers for its lifetime and restores the previous ones when destroyed. Guards
// may overlap (trainers of in-process ranks): the outermost one installs and restores.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // The signal number received since construction, or 0.
  static int pending();
};

}  // namespace moemt::train
