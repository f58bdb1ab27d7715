// Raw-pointer launchers of the embedding gather and its deterministic gradient
// (ops/embedding.h): ids i32 (n), table / dtable (vocab, d), rows (n, d).
#pragma once

#include <cstddef>
#include <cstdint>

namespace moemt::kernels {

// out[i] = scale * table[ids[i]]; *bad (device int, set to 0 by the caller) becomes n - i for
// the first position i whose id is outside [0, vocab) (its output row is left as zeros).
void launch_embedding_lookup(const int32_t* ids, const float* table, float scale, float* out,
                             int64_t n, int64_t vocab, int64_t d, int* bad, int device,
                             void* stream);

// Bytes of device scratch launch_embedding_grad needs for n ids below vocab.
size_t embedding_grad_workspace(int64_t n, int64_t vocab);

// dtable[ids[i]] += scale * dy[i], rows of one id added in increasing i (as the CPU): a stable
// radix sort of positions by id (CUB), runs of equal ids, and one block per run, so each table
// row has one owner and no atomics. Ids must be in [0, vocab) (lookup checked them).
void launch_embedding_grad(const int32_t* ids, const float* dy, float scale, float* dtable,
                           int64_t n, int64_t vocab, int64_t d, void* workspace, int device,
                           void* stream);

}  // namespace moemt::kernels
