// Model: the interface the trainer, checkpoints, beam search, `translate` and `eval` use, so
// they never depend on one architecture (CTranslate2's decoder interface, Marian's states).
// make_model() picks the implementation from the config; the Transformer is model/seq2seq.h.
#pragma once

#include <memory>
#include <vector>

#include "core/param_store.h"
#include "model/config.h"
#include "model/loss_stats.h"
#include "nn/ctx.h"

namespace moemt::moe {
class MoeLayer;
}

namespace moemt::model {

// One training or validation batch as tensors (host or device). B sentences, S source and T
// target positions; pad_id marks padding in tgt_out (ignored by the loss).
struct BatchTensors {
  Tensor src_ids;      // i32 (B,S)
  Tensor src_lengths;  // i32 (B)
  Tensor tgt_in;       // i32 (B,T)
  Tensor tgt_out;      // i32 (B,T)
  std::vector<int32_t> src_lengths_host, tgt_lengths_host;
  std::vector<int32_t> src_lang, tgt_lang;  // (B) language ids (ModelConfig::languages order)
};

// Decoding state of a batch of rows (sentences or beam hypotheses): caches the model keeps
// between steps, opaque to the search.
class DecoderState {
 public:
  virtual ~DecoderState() = default;
  // Row b continues old row indices[b] (beam search, dropping finished rows). same_sentences:
  // every row keeps its sentence, so source-side caches need no gather.
  virtual void reorder(const std::vector<int32_t>& indices, bool same_sentences = false) = 0;
  virtual int64_t rows() const = 0;
};

class Model {
 public:
  virtual ~Model() = default;

  virtual ParamStore& params() = 0;
  virtual const ModelConfig& config() const = 0;
  // initialize = false: values left zero because every parameter is loaded next.
  void finalize(Device device, uint64_t seed, bool initialize = true) {
    params().finalize(device, seed, initialize);
  }

  // Teacher-forced forward, label-smoothed loss and full backward; gradients accumulate into
  // params().grads(). The loss minimised is mean CE over target tokens + MoE aux losses, scaled
  // by grad_scale (1 for one batch per update).
  virtual LossStats forward_backward(nn::Ctx& ctx, const BatchTensors& batch,
                                     float label_smoothing, float grad_scale = 1.f) = 0;
  // Forward only (eval mode must be set in ctx by the caller): loss statistics.
  virtual LossStats evaluate(nn::Ctx& ctx, const BatchTensors& batch) = 0;

  // Decoding: encodes the source and prepares the caches.
  virtual std::unique_ptr<DecoderState> start(nn::Ctx& ctx, const Tensor& src_ids,
                                              const Tensor& src_lengths,
                                              std::vector<int32_t> src_lang,
                                              std::vector<int32_t> tgt_lang) = 0;
  // Feeds one token per row (B) and returns log-probabilities (B,V) of the next token.
  virtual Tensor step(nn::Ctx& ctx, DecoderState& state, const std::vector<int32_t>& tokens) = 0;

  virtual std::vector<moe::MoeLayer*> moe_layers() const = 0;

  // Name prefixes ("decoder.layers.2.") of parameter groups in the order forward_backward
  // finishes their gradients; forward_backward calls ctx.grads_final(unit) for each, in this
  // order, once nothing later adds to them. A parameter that matches no prefix is final when
  // forward_backward returns. Empty: the model gives no signals.
  virtual std::vector<std::string> backward_units() const { return {}; }
};

// The implementation the config names (today the Transformer); validates the config.
std::unique_ptr<Model> make_model(const ModelConfig& config);

}  // namespace moemt::model
