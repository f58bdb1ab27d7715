// Gradient buckets of data-parallel training (--bucket-cap-mb, as PyTorch DDP's bucket_cap_mb):
// a range of the flat gradient buffer is summed over the ranks in buckets of whole parameters,
// last parameters first (the order in which backward finishes them, so a later change can start
// each bucket's all-reduce while backward still runs).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/param_store.h"
#include "dist/communicator.h"

namespace moemt::train {

// [begin, end) buckets covering the parameters inside [range_begin, range_end) (the flat
// buffer's ranges hold whole parameters): filled in reverse offset order until a bucket holds
// at least cap_bytes (a parameter larger than that is a bucket of its own). cap_bytes 0: one
// bucket. The buckets are disjoint, in reverse order, and cover the range.
std::vector<std::pair<int64_t, int64_t>> gradient_buckets(const ParamStore& ps,
                                                          int64_t range_begin, int64_t range_end,
                                                          int64_t cap_bytes);

// Sums grads[b, e) over the ranks of c for each bucket, in the given order. Every bucket is its
// own all-reduce; per element the sum is the one of a single all-reduce of the whole range.
void all_reduce_buckets(dist::Communicator& c, Tensor grads,
                        const std::vector<std::pair<int64_t, int64_t>>& buckets,
                        const std::string& context);

// Gradient sums started while backward runs (--overlap-grad-reduce). The buckets follow the
// model's backward units (model::Model::backward_units): for each unit in order, the runs of
// adjacent parameters in [range_begin, range_end) that belong to it (the first prefix a name
// starts with; parameters of no unit form a last group), split like gradient_buckets. When
// backward signals a unit, its buckets and those of earlier units start (non-blocking where
// the communicator can); finish() starts the rest and waits. The order is fixed by the model,
// so every rank starts the same sums in the same order, also a rank without data (which
// signals nothing and starts everything in finish()). Per element the sums equal
// all_reduce_buckets'.
class OverlappedGradSum {
 public:
  OverlappedGradSum(const ParamStore& ps, std::vector<std::string> units, int64_t range_begin,
                    int64_t range_end, int64_t cap_bytes);
  // A new update: nothing started yet.
  void begin() {
    next_ = 0;
    early_ = 0;
  }
  // Backward's signal that `unit` is final (Ctx::on_grads_final). Throws Error when the model
  // signals a unit out of order.
  void unit_final(dist::Communicator& c, const Tensor& grads, const std::string& unit,
                  const std::string& context);
  void finish(dist::Communicator& c, const Tensor& grads, const std::string& context);

  int buckets() const;
  int started_early() const { return early_; }  // buckets started before finish() this update
  const std::vector<std::vector<std::pair<int64_t, int64_t>>>& by_unit() const { return by_unit_; }

 private:
  int start_units(dist::Communicator& c, const Tensor& grads, size_t end,
                  const std::string& context);

  std::vector<std::string> units_;
  std::vector<std::vector<std::pair<int64_t, int64_t>>> by_unit_;  // units_.size() + 1 groups
  size_t next_ = 0;
  int early_ = 0;
};

}  // namespace moemt::train
