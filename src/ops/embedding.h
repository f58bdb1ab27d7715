// Embedding lookup (gather of table rows, scaled) and its gradient (scatter-add of rows into
// the table), deterministic without atomics: rows are grouped by id with a counting sort.
#pragma once

#include "core/tensor.h"

namespace moemt::ops {

// ids is i32 (N) (any shape, flattened), table (V, D), out (N, D): out[n] = scale * table[ids[n]].
// Every id must be in [0, V).
void embedding_lookup(const Tensor& ids, const Tensor& table, float scale, Tensor& out);
// dy is (N, D): dtable[ids[n]] += scale * dy[n] for every n, accumulating onto dtable (V, D).
// Rows sharing an id are summed in increasing n, so the result is independent of threads.
void embedding_grad(const Tensor& ids, const Tensor& dy, float scale, Tensor& dtable);

namespace cpu {
void embedding_lookup(const Tensor& ids, const Tensor& table, float scale, Tensor& out);
void embedding_grad(const Tensor& ids, const Tensor& dy, float scale, Tensor& dtable);
}  // namespace cpu
namespace cuda {
void embedding_lookup(const Tensor& ids, const Tensor& table, float scale, Tensor& out);
void embedding_grad(const Tensor& ids, const Tensor& dy, float scale, Tensor& dtable);
}  // namespace cuda

}  // namespace moemt::ops
