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

}  // namespace moemt::train
