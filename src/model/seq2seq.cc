// Seq2Seq assembly: builds the layer stacks (dense or MoE FFN per layer), runs the teacher-
// forced forward and its mirror-image backward, and the cached decoding step.
#include "model/seq2seq.h"

#include "ops/elementwise.h"
#include "ops/log_softmax.h"

namespace moemt::model {

namespace {
Tensor lengths_tensor(const std::vector<int32_t>& v, Device d) {
  Tensor t = Tensor::from_vector(v, {static_cast<int64_t>(v.size())});
  return d.is_cpu() ? t : t.to(d);
}
}  // namespace

void TransformerState::reorder(const std::vector<int32_t>& indices, bool same_sentences) {
  for (auto& l : layers) l.reorder(indices, same_sentences);
  std::vector<int32_t> s, t;
  for (int32_t i : indices) {
    s.push_back(src_lang[i]);
    t.push_back(tgt_lang[i]);
  }
  src_lang = std::move(s);
  tgt_lang = std::move(t);
}

std::unique_ptr<nn::FfnBlock> Seq2Seq::make_ffn(const std::string& name, int stack, int layer) {
  if (cfg_.moe_at(stack, layer)) {
    moe::MoeConfig mc = cfg_.moe_for_stack(stack);
    auto m = std::make_unique<moe::MoeLayer>(params_, name + ".moe", mc, cfg_.d_model, cfg_.ffn_dim,
                                             cfg_.activation);
    moe_.push_back(m.get());
    return m;
  }
  nn::FeedForwardConfig fc;
  fc.d_model = cfg_.d_model;
  fc.ffn_dim = cfg_.ffn_dim;
  fc.activation = cfg_.activation;
  fc.dropout = 0.f;  // Marian/fairseq default: no extra dropout inside the FFN
  return std::make_unique<nn::FeedForward>(params_, name + ".ffn", fc);
}

Seq2Seq::Seq2Seq(const ModelConfig& config)
    : cfg_(config), pe_(config.d_model), src_drop_(config.dropout), tgt_drop_(config.dropout) {
  cfg_.validate();
  nn::EmbeddingConfig ec{cfg_.vocab_size, cfg_.d_model, true};
  src_emb_ = std::make_unique<nn::Embedding>(params_, "embeddings.src", ec);
  if (cfg_.tied_embeddings)
    tgt_emb_ = std::make_unique<nn::Embedding>(src_emb_->table(), ec);
  else
    tgt_emb_ = std::make_unique<nn::Embedding>(params_, "embeddings.tgt", ec);
  nn::LayerConfig lc;
  lc.attention = {cfg_.d_model, cfg_.heads, cfg_.attention_dropout, true};
  lc.dropout = cfg_.dropout;
  for (int i = 0; i < cfg_.enc_layers; ++i) {
    std::string name = "encoder.layers." + std::to_string(i);
    encoder_.push_back(std::make_unique<nn::EncoderLayer>(params_, name, lc, make_ffn(name, 0, i)));
  }
  for (int i = 0; i < cfg_.dec_layers; ++i) {
    std::string name = "decoder.layers." + std::to_string(i);
    decoder_.push_back(std::make_unique<nn::DecoderLayer>(params_, name, lc, make_ffn(name, 1, i)));
  }
  enc_norm_ = std::make_unique<nn::LayerNorm>(params_, "encoder.norm", nn::LayerNormConfig{cfg_.d_model});
  dec_norm_ = std::make_unique<nn::LayerNorm>(params_, "decoder.norm", nn::LayerNormConfig{cfg_.d_model});
  nn::OutputLayerConfig oc{cfg_.vocab_size, cfg_.d_model, false};
  if (cfg_.tied_embeddings)
    output_ = std::make_unique<nn::OutputLayer>(params_, "output", tgt_emb_->table(), oc);
  else
    output_ = std::make_unique<nn::OutputLayer>(params_, "output", oc);
}

std::vector<moe::MoeLayer*> Seq2Seq::moe_layers() const { return moe_; }

Tensor Seq2Seq::embed(nn::Ctx& ctx, nn::Embedding& emb, const Tensor& ids, int64_t start_pos) {
  // ids (B,T) -> (B,T,D) = Dropout(sqrt(D) * E[ids] + PE[start_pos + t])
  Tensor x = emb.forward(ctx, ids);
  pe_.add_inplace(x, start_pos);
  return x;
}

LossStats Seq2Seq::forward_backward(nn::Ctx& ctx, const BatchTensors& batch, float label_smoothing,
                                    float grad_scale) {
  StreamGuard on_stream = ctx.stream_scope();
  // src_ids (B,S), tgt_in/tgt_out (B,T)
  b_ = batch.src_ids.size(0);
  s_ = batch.src_ids.size(1);
  t_ = batch.tgt_in.size(1);
  const int64_t d = cfg_.d_model;
  ctx.reset_aux_loss();

  ctx.set_routing(0, s_, batch.src_lang, batch.tgt_lang, batch.src_lengths_host, s_);
  Tensor x = src_drop_.forward(ctx, embed(ctx, *src_emb_, batch.src_ids, 0));
  for (auto& layer : encoder_) x = layer->forward(ctx, x, batch.src_lengths);
  Tensor enc = enc_norm_->forward(ctx, x);

  ctx.set_routing(1, t_, batch.src_lang, batch.tgt_lang, batch.tgt_lengths_host, t_);
  Tensor y = tgt_drop_.forward(ctx, embed(ctx, *tgt_emb_, batch.tgt_in, 0));
  for (auto& layer : decoder_) y = layer->forward(ctx, y, enc, batch.src_lengths);
  Tensor h = dec_norm_->forward(ctx, y);

  // Mean over target tokens: dL/dlogits = (softmax - q) / tokens.
  int64_t tokens = 0;
  for (int32_t l : batch.tgt_lengths_host) tokens += l;
  float scale = grad_scale / static_cast<float>(std::max<int64_t>(tokens, 1));
  for (auto* m : moe_) m->set_aux_grad_scale(grad_scale);
  nn::LossResult lr = output_->loss_forward_backward(ctx, h.reshape({b_ * t_, d}),
                                                     batch.tgt_out.reshape({b_ * t_}),
                                                     label_smoothing, 0, scale);
  // The statistics stay on the device (the trainer reads them once per display interval).
  LossStats st = LossStats::from_parts(lr.stats, ctx.aux_loss);

  // Backward, mirroring the forward from the loss down; backward_units() lists the signals.
  ctx.grads_final("output.");
  Tensor dy = dec_norm_->backward(ctx, lr.dx.reshape({b_, t_, d}));
  ctx.grads_final("decoder.norm.");
  Tensor d_enc = Tensor::zeros({b_, s_, d}, DType::f32, dy.device());
  for (int i = cfg_.dec_layers - 1; i >= 0; --i) {
    auto g = decoder_[i]->backward(ctx, dy);
    dy = g.dy_in;
    ops::add_inplace(d_enc, g.d_enc);
    ctx.grads_final("decoder.layers." + std::to_string(i) + ".");
  }
  tgt_emb_->backward(ctx, tgt_drop_.backward(ctx, dy));
  if (!cfg_.tied_embeddings) ctx.grads_final("embeddings.tgt.");

  ctx.set_routing(0, s_, batch.src_lang, batch.tgt_lang, batch.src_lengths_host, s_);
  Tensor dx = enc_norm_->backward(ctx, d_enc);
  ctx.grads_final("encoder.norm.");
  for (int i = cfg_.enc_layers - 1; i >= 0; --i) {
    dx = encoder_[i]->backward(ctx, dx);
    ctx.grads_final("encoder.layers." + std::to_string(i) + ".");
  }
  src_emb_->backward(ctx, src_drop_.backward(ctx, dx));
  ctx.grads_final("embeddings.src.");
  return st;
}

std::vector<std::string> Seq2Seq::backward_units() const {
  std::vector<std::string> u = {"output.", "decoder.norm."};
  for (int i = cfg_.dec_layers - 1; i >= 0; --i) u.push_back("decoder.layers." + std::to_string(i) + ".");
  if (!cfg_.tied_embeddings) u.push_back("embeddings.tgt.");
  u.push_back("encoder.norm.");
  for (int i = cfg_.enc_layers - 1; i >= 0; --i) u.push_back("encoder.layers." + std::to_string(i) + ".");
  u.push_back("embeddings.src.");
  return u;
}

LossStats Seq2Seq::evaluate(nn::Ctx& ctx, const BatchTensors& batch) {
  StreamGuard on_stream = ctx.stream_scope();
  int64_t b = batch.src_ids.size(0), s = batch.src_ids.size(1), t = batch.tgt_in.size(1);
  ctx.reset_aux_loss();
  ctx.set_routing(0, s, batch.src_lang, batch.tgt_lang, batch.src_lengths_host, s);
  Tensor x = embed(ctx, *src_emb_, batch.src_ids, 0);
  for (auto& layer : encoder_) x = layer->forward(ctx, x, batch.src_lengths);
  Tensor enc = enc_norm_->apply(x);
  ctx.set_routing(1, t, batch.src_lang, batch.tgt_lang, batch.tgt_lengths_host, t);
  Tensor y = embed(ctx, *tgt_emb_, batch.tgt_in, 0);
  for (auto& layer : decoder_) y = layer->forward(ctx, y, enc, batch.src_lengths);
  Tensor h = dec_norm_->apply(y);
  Tensor none;
  nn::LossResult lr = output_->loss(ctx, h.reshape({b * t, cfg_.d_model}),
                                    batch.tgt_out.reshape({b * t}), 0.f, 0, none);
  return LossStats::from_parts(lr.stats, ctx.aux_loss);
}

std::unique_ptr<DecoderState> Seq2Seq::start(nn::Ctx& ctx, const Tensor& src_ids,
                                             const Tensor& src_lengths,
                                             std::vector<int32_t> src_lang,
                                             std::vector<int32_t> tgt_lang) {
  StreamGuard on_stream = ctx.stream_scope();
  // src_ids (B,S) -> encoder output (B,S,D) and per-layer cross-attention caches.
  int64_t s = src_ids.size(1);
  std::vector<int32_t> lens = src_lengths.to_ivector();
  ctx.set_routing(0, s, src_lang, tgt_lang, lens, s);
  Tensor x = embed(ctx, *src_emb_, src_ids, 0);
  for (auto& layer : encoder_) x = layer->forward(ctx, x, src_lengths);
  auto owned = std::make_unique<TransformerState>();
  TransformerState& st = *owned;
  st.enc = enc_norm_->apply(x);
  st.src_lengths = src_lengths;
  st.src_lang = std::move(src_lang);
  st.tgt_lang = std::move(tgt_lang);
  st.layers.resize(decoder_.size());
  for (size_t i = 0; i < decoder_.size(); ++i)
    decoder_[i]->init_state(ctx, st.enc, src_lengths, st.layers[i]);
  return owned;
}

Tensor Seq2Seq::step(nn::Ctx& ctx, DecoderState& base, const std::vector<int32_t>& tokens) {
  StreamGuard on_stream = ctx.stream_scope();
  auto& state = dynamic_cast<TransformerState&>(base);
  // tokens (B) -> log-probabilities (B,V) of the next position.
  int64_t b = static_cast<int64_t>(tokens.size());
  MOEMT_CHECK(b == state.rows(), "step with {} tokens for {} rows", b, state.rows());
  ctx.set_routing(1, 1, state.src_lang, state.tgt_lang, {}, 1);
  Tensor ids = lengths_tensor(tokens, state.enc.device()).reshape({b, 1});
  Tensor y = embed(ctx, *tgt_emb_, ids, state.position);
  for (size_t i = 0; i < decoder_.size(); ++i) y = decoder_[i]->step(ctx, y, state.layers[i]);
  Tensor h = dec_norm_->apply(y).reshape({b, cfg_.d_model});
  Tensor logits = output_->logits(ctx, h);
  ops::log_softmax(logits, logits);
  state.position++;
  return logits;
}

}  // namespace moemt::model
