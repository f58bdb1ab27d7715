// Output layer: logits = x · Eᵀ (+ b) over the vocabulary, E (V, D) tied to an embedding or
// owned, fused with the label-smoothed cross-entropy and its backward. The loss path works on
// row chunks, so only a (chunk, V) logits buffer ever exists, and skips rows whose target is pad
// (compacted on the device; only their count is read to the host, to size the GEMMs).
#pragma once

#include <string>

#include "core/param_store.h"
#include "core/tensor.h"
#include "nn/ctx.h"
#include "ops/cross_entropy.h"

namespace moemt::nn {

struct OutputLayerConfig {
  int64_t vocab = 0, dim = 0;
  bool bias = false;
  // Upper bound on the logits buffer (rows * vocab floats) in the loss paths.
  int64_t max_chunk_elems = int64_t{1} << 24;
};

struct LossResult {
  // f64 (3) on x's device, indexed by ops::CrossEntropyStat: the label-smoothed loss and
  // -log p(target) summed over non-pad targets, and their number. Left on the device: the
  // trainer reads its statistics once per display interval.
  Tensor stats;
  Tensor dx;  // gradient w.r.t. x, same shape as x (loss_forward_backward only)
};

class OutputLayer {
 public:
  OutputLayer() = default;
  // Own weight: registers `name.weight` (vocab, dim) (Xavier) and, with bias, `name.bias`.
  OutputLayer(ParamStore& store, const std::string& name, const OutputLayerConfig& cfg);
  // Tied: uses `table` (vocab, dim), e.g. Embedding::table(); registers only `name.bias`.
  OutputLayer(ParamStore& store, const std::string& name, Param table,
              const OutputLayerConfig& cfg);

  // x (..., D) -> logits (..., V). Saves nothing (decoding).
  Tensor logits(Ctx& ctx, const Tensor& x) const;
  // x (..., D), targets i32 (...) with one target per row of x; rows whose target is pad_id
  // count nothing. Returns the loss statistics and dx (..., D) of grad_scale * loss_sum, and
  // accumulates the weight (and bias) gradients of the same. Pass grad_scale = 1 / tokens for
  // a per-token mean loss, or 1 for a summed loss.
  LossResult loss_forward_backward(Ctx& ctx, const Tensor& x, const Tensor& targets,
                                   float label_smoothing, int32_t pad_id, float grad_scale);
  // The statistics alone (validation, scoring). row_loss (N), if defined, receives each row's
  // loss (0 at pads); with label_smoothing 0 that is -log p(target).
  LossResult loss(Ctx& ctx, const Tensor& x, const Tensor& targets, float label_smoothing,
                  int32_t pad_id, Tensor& row_loss) const;

  Param weight() const { return weight_; }
  Param bias() const { return bias_; }
  const OutputLayerConfig& config() const { return cfg_; }

 private:
  // The GEMMs' input dtype: the store's compute dtype (bf16 under mixed precision).
  DType compute_dtype() const { return weight_.store->compute_dtype(); }
  int64_t chunk_rows() const;
  struct Rows;
  static Rows select_rows(const Tensor& x2, const Tensor& t1, int32_t pad_id);
  static int64_t read_kept_count_to_host(const Tensor& count);
  OutputLayerConfig cfg_;
  Param weight_, bias_;
};

}  // namespace moemt::nn
