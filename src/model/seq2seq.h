// Seq2Seq: the Transformer encoder-decoder (embeddings, positions, encoder and decoder stacks
// whose FFN slots are dense or MoE, final norms, output projection) with an explicit
// forward/backward for training and a cached step function for decoding.
#pragma once

#include <memory>
#include <vector>

#include "core/param_store.h"
#include "model/config.h"
#include "moe/moe_layer.h"
#include "nn/ctx.h"
#include "nn/decoder_layer.h"
#include "nn/embedding.h"
#include "nn/feed_forward.h"
#include "nn/encoder_layer.h"
#include "nn/layer_norm.h"
#include "nn/dropout.h"
#include "nn/output_layer.h"
#include "nn/positional.h"

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

struct LossStats {
  double loss_sum = 0;  // label-smoothed loss summed over target tokens
  double nll_sum = 0;   // unsmoothed negative log-likelihood (ce-mean-words = nll_sum / tokens)
  int64_t tokens = 0;
  double aux_loss = 0;  // MoE balancing losses (already weighted)
};

// Decoding state for a batch of rows (sentences or beam hypotheses).
struct DecoderState {
  Tensor enc;          // (B,S,D) encoder output
  Tensor src_lengths;  // i32 (B)
  std::vector<nn::DecoderLayerState> layers;
  std::vector<int32_t> src_lang, tgt_lang;  // per row
  int64_t position = 0;                     // target positions consumed so far
  // Row b continues old row indices[b] (beam search, dropping finished rows). same_sentences:
  // every row keeps its sentence (old row indices[b] belongs to the sentence that row b now
  // decodes), so the source-side caches need no gather.
  void reorder(const std::vector<int32_t>& indices, bool same_sentences = false);
  int64_t rows() const { return static_cast<int64_t>(src_lang.size()); }
};

class Seq2Seq {
 public:
  // Registers every parameter in its own ParamStore; call finalize() (or load) before use.
  explicit Seq2Seq(const ModelConfig& config);
  // initialize = false: values left zero because every parameter is loaded next.
  void finalize(Device device, uint64_t seed, bool initialize = true) {
    params_.finalize(device, seed, initialize);
  }

  ParamStore& params() { return params_; }
  const ModelConfig& config() const { return cfg_; }

  // Teacher-forced forward, label-smoothed loss and full backward; gradients accumulate into
  // params().grads(). The loss minimised is mean CE over target tokens + MoE aux losses, scaled
  // by grad_scale (1 for one batch per update).
  LossStats forward_backward(nn::Ctx& ctx, const BatchTensors& batch, float label_smoothing,
                             float grad_scale = 1.f);
  // Forward only (eval mode must be set in ctx by the caller): loss statistics.
  LossStats evaluate(nn::Ctx& ctx, const BatchTensors& batch);

  // Decoding: encodes the source and prepares the caches.
  DecoderState start(nn::Ctx& ctx, const Tensor& src_ids, const Tensor& src_lengths,
                     std::vector<int32_t> src_lang, std::vector<int32_t> tgt_lang);
  // Feeds one token per row (B) and returns log-probabilities (B,V) of the next token.
  Tensor step(nn::Ctx& ctx, DecoderState& state, const std::vector<int32_t>& tokens);

  std::vector<moe::MoeLayer*> moe_layers() const;

 private:
  Tensor embed(nn::Ctx& ctx, nn::Embedding& emb, const Tensor& ids, int64_t start_pos);
  void set_routing(nn::Ctx& ctx, int stack, int64_t rows_per_sentence,
                   const std::vector<int32_t>& src_lang, const std::vector<int32_t>& tgt_lang,
                   const std::vector<int32_t>& lengths, int64_t len);
  std::unique_ptr<nn::FfnBlock> make_ffn(const std::string& name, int stack, int layer);

  ModelConfig cfg_;
  ParamStore params_;
  std::unique_ptr<nn::Embedding> src_emb_, tgt_emb_;
  std::vector<std::unique_ptr<nn::EncoderLayer>> encoder_;
  std::vector<std::unique_ptr<nn::DecoderLayer>> decoder_;
  std::unique_ptr<nn::LayerNorm> enc_norm_, dec_norm_;
  std::unique_ptr<nn::OutputLayer> output_;
  nn::PositionalEncoding pe_;
  nn::Dropout src_drop_, tgt_drop_;  // on the embeddings + positions
  std::vector<moe::MoeLayer*> moe_;
  // Saved by forward for backward.
  int64_t b_ = 0, s_ = 0, t_ = 0;
};

}  // namespace moemt::model
