// LstmModel: the LSTM encoder-decoder of GNMT (Wu et al. 2016) with mixture-of-experts layers
// between stacked LSTM layers (Shazeer et al. 2017), behind the Model interface (type: lstm).
// Encoder: embeddings -> (bi)LSTM layers, residual from the third layer on (--skip: from the
// second), MoE between layers.
// Decoder: LSTM stack whose bottom layer's output attends to the encoder; the attention
// context feeds every higher layer and the output projection.
#pragma once

#include <memory>
#include <vector>

#include "core/param_store.h"
#include "model/config.h"
#include "model/model.h"
#include "moe/moe_layer.h"
#include "nn/attention.h"
#include "nn/ctx.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/linear.h"
#include "nn/lstm.h"
#include "nn/output_layer.h"

namespace moemt::model {

// Decoding state: h and c of every decoder layer, the attention's encoder keys/values.
struct LstmState : DecoderState {
  std::vector<Tensor> h, c;                 // per decoder layer, (B,H)
  nn::KVCache cross;                        // encoder keys/values and source lengths
  std::vector<int32_t> src_lang, tgt_lang;  // per row
  void reorder(const std::vector<int32_t>& indices, bool same_sentences = false) override;
  int64_t rows() const override { return static_cast<int64_t>(src_lang.size()); }
};

class LstmModel : public Model {
 public:
  // Registers every parameter in its own ParamStore; call finalize() (or load) before use.
  explicit LstmModel(const ModelConfig& config);
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
  // Saved by one forward for its backward, so the dense layers keep nothing in their members
  // (the MoE layers still keep their routing state in theirs).
  struct EncoderSaved {
    nn::Embedding::Saved emb;
    nn::Dropout::Saved drop;
    nn::BiLstmSaved bi;
    std::vector<nn::LstmSaved> layers;  // per layer (unused at 0 when bidirectional)
  };
  struct DecoderSaved {
    nn::Embedding::Saved emb;
    nn::Dropout::Saved drop;
    std::vector<nn::LstmSaved> layers;
    nn::MultiHeadAttention::Saved attention;
    nn::Linear::Saved out_proj;
  };
  // src_ids (B,S) -> encoder output (B,S,H).
  Tensor encode(nn::Ctx& ctx, const Tensor& src_ids, const Tensor& src_lengths,
                EncoderSaved* saved);
  void encode_backward(nn::Ctx& ctx, const Tensor& d_enc, const EncoderSaved& saved);
  // tgt_in (B,T), enc (B,S,H) -> input of the output layer (B,T,E).
  Tensor decode(nn::Ctx& ctx, const Tensor& tgt_in, const Tensor& enc, const Tensor& src_lengths,
                DecoderSaved* saved);
  // d_out (B,T,E) -> gradient of the encoder output (B,S,H).
  Tensor decode_backward(nn::Ctx& ctx, const Tensor& d_out, const DecoderSaved& saved);
  bool residual(int stack, size_t layer) const;  // LSTM layer adds its input (see .cc)
  // x (B,T,D) -> x + MoE(x) when slot `layer` of `stack` is MoE, else x.
  Tensor moe_forward(nn::Ctx& ctx, int stack, int layer, const Tensor& x);
  Tensor moe_backward(nn::Ctx& ctx, int stack, int layer, const Tensor& dx);

  ModelConfig cfg_;
  ParamStore params_;
  bool bidirectional_ = false;
  std::unique_ptr<nn::Embedding> src_emb_, tgt_emb_;
  std::unique_ptr<nn::BiLstm> enc_bi_;                // layer 0 when bidirectional
  std::vector<std::unique_ptr<nn::Lstm>> enc_, dec_;  // enc_[0] null when bidirectional
  std::vector<std::unique_ptr<moe::MoeLayer>> moe_enc_, moe_dec_;  // per slot, null = none
  std::unique_ptr<nn::MultiHeadAttention> attention_;
  std::unique_ptr<nn::Linear> out_proj_;  // [top ; context] (2H) -> E
  std::unique_ptr<nn::OutputLayer> output_;
  nn::Dropout src_drop_, tgt_drop_;  // on the embeddings
  std::vector<moe::MoeLayer*> moe_;
  int64_t b_ = 0, s_ = 0, t_ = 0;  // sizes of the batch being trained (set per call)
};

}  // namespace moemt::model
