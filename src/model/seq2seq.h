// Seq2Seq: the Transformer encoder-decoder (embeddings, positions, encoder and decoder stacks
// whose FFN slots are dense or MoE, final norms, output projection) with an explicit
// forward/backward for training and a cached step function for decoding.
#pragma once

#include <memory>
#include <vector>

#include "core/param_store.h"
#include "model/config.h"
#include "model/model.h"
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

// Decoding state of the Transformer: encoder output, per-layer self- and cross-attention caches.
struct TransformerState : DecoderState {
  Tensor enc;          // (B,S,D) encoder output
  Tensor src_lengths;  // i32 (B)
  std::vector<nn::DecoderLayerState> layers;
  std::vector<int32_t> src_lang, tgt_lang;  // per row
  int64_t position = 0;                     // target positions consumed so far
  void reorder(const std::vector<int32_t>& indices, bool same_sentences = false) override;
  int64_t rows() const override { return static_cast<int64_t>(src_lang.size()); }
};

class Seq2Seq : public Model {
 public:
  // Registers every parameter in its own ParamStore; call finalize() (or load) before use.
  explicit Seq2Seq(const ModelConfig& config);
  ParamStore& params() override { return params_; }
  const ModelConfig& config() const override { return cfg_; }

  LossStats forward_backward(nn::Ctx& ctx, const BatchTensors& batch, float label_smoothing,
                             float grad_scale = 1.f) override;
  LossStats evaluate(nn::Ctx& ctx, const BatchTensors& batch) override;
  std::unique_ptr<DecoderState> start(nn::Ctx& ctx, const Tensor& src_ids,
                                      const Tensor& src_lengths, std::vector<int32_t> src_lang,
                                      std::vector<int32_t> tgt_lang) override;
  Tensor step(nn::Ctx& ctx, DecoderState& state, const std::vector<int32_t>& tokens) override;

  std::vector<moe::MoeLayer*> moe_layers() const override;
  std::vector<std::string> backward_units() const override;

 private:
  Tensor embed(nn::Ctx& ctx, nn::Embedding& emb, const Tensor& ids, int64_t start_pos);
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
