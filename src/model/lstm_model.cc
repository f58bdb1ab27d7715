// LstmModel assembly: the encoder and decoder stacks, their teacher-forced forward and the
// mirror-image backward, and the decoding step. See lstm_model.h for the architecture.
#include "model/lstm_model.h"

#include "ops/elementwise.h"
#include "ops/embedding.h"
#include "ops/log_softmax.h"

namespace moemt::model {

namespace {
Tensor ids_tensor(const std::vector<int32_t>& v, Device d) {
  Tensor t = Tensor::from_vector(v, {static_cast<int64_t>(v.size())});
  return d.is_cpu() ? t : t.to(d);
}
Tensor plus(const Tensor& a, const Tensor& b) {
  Tensor y = Tensor::empty(a.shape(), DType::f32, a.device());
  ops::add(a, b, y);
  return y;
}
}  // namespace

void LstmState::reorder(const std::vector<int32_t>& indices, bool same_sentences) {
  if (!h.empty()) {
    // A row gather: the embedding lookup of the indices in each state matrix.
    const Tensor ids = ids_tensor(indices, h[0].device());
    const int64_t nb = static_cast<int64_t>(indices.size());
    for (auto* v : {&h, &c})
      for (Tensor& t : *v) {
        Tensor g = Tensor::empty({nb, t.size(1)}, DType::f32, t.device());
        ops::embedding_lookup(ids, t, 1.f, g);
        t = g;
      }
  }
  if (!same_sentences) cross.reorder(indices);
  std::vector<int32_t> s, t;
  for (int32_t i : indices) {
    s.push_back(src_lang[i]);
    t.push_back(tgt_lang[i]);
  }
  src_lang = std::move(s);
  tgt_lang = std::move(t);
}

LstmModel::LstmModel(const ModelConfig& config)
    : cfg_(config), src_drop_(config.dropout), tgt_drop_(config.dropout) {
  cfg_.validate();
  MOEMT_CHECK(cfg_.type == ModelType::lstm, "LstmModel built from a {} config",
              model_type_name(cfg_.type));
  const int64_t e = cfg_.d_model, h = cfg_.dim_rnn;
  bidirectional_ = cfg_.enc_type == EncoderType::bidirectional;
  nn::EmbeddingConfig ec{cfg_.vocab_size, e, true};
  src_emb_ = std::make_unique<nn::Embedding>(params_, "embeddings.src", ec);
  if (cfg_.tied_embeddings)
    tgt_emb_ = std::make_unique<nn::Embedding>(src_emb_->table(), ec);
  else
    tgt_emb_ = std::make_unique<nn::Embedding>(params_, "embeddings.tgt", ec);
  auto make_moe = [&](const std::string& name, int stack, int layer, int64_t width) {
    std::unique_ptr<moe::MoeLayer> m;
    if (cfg_.moe_at(stack, layer)) {
      m = std::make_unique<moe::MoeLayer>(params_, name + ".moe", cfg_.moe_for_stack(stack), width,
                                          cfg_.ffn_dim, cfg_.activation);
      moe_.push_back(m.get());
    }
    return m;
  };
  for (int i = 0; i < cfg_.enc_layers; ++i) {
    std::string name = "encoder.layers." + std::to_string(i);
    if (i == 0 && bidirectional_) {
      enc_bi_ = std::make_unique<nn::BiLstm>(
          params_, name + ".lstm", nn::LstmConfig{e, h, cfg_.dropout_rnn, cfg_.enc_cell_depth});
      enc_.push_back(nullptr);
    } else {
      const int64_t in = i == 0 ? e : (i == 1 && bidirectional_ ? 2 * h : h);
      enc_.push_back(std::make_unique<nn::Lstm>(
          params_, name + ".lstm", nn::LstmConfig{in, h, cfg_.dropout_rnn, cfg_.enc_cell_depth}));
    }
    moe_enc_.push_back(make_moe(name, 0, i, i == 0 && bidirectional_ ? 2 * h : h));
  }
  for (int i = 0; i < cfg_.dec_layers; ++i) {
    std::string name = "decoder.layers." + std::to_string(i);
    dec_.push_back(std::make_unique<nn::Lstm>(
        params_, name + ".lstm",
        nn::LstmConfig{i == 0 ? e : 2 * h, h, cfg_.dropout_rnn, cfg_.dec_cell_depth}));
    moe_dec_.push_back(make_moe(name, 1, i, h));
  }
  attention_ = std::make_unique<nn::MultiHeadAttention>(
      params_, "decoder.attention",
      nn::AttentionConfig{h, cfg_.heads, cfg_.attention_dropout, true});
  out_proj_ = std::make_unique<nn::Linear>(params_, "decoder.output_proj", 2 * h, e);
  nn::OutputLayerConfig oc{cfg_.vocab_size, e, false};
  if (cfg_.tied_embeddings)
    output_ = std::make_unique<nn::OutputLayer>(params_, "output", tgt_emb_->table(), oc);
  else
    output_ = std::make_unique<nn::OutputLayer>(params_, "output", oc);
}

std::vector<moe::MoeLayer*> LstmModel::moe_layers() const { return moe_; }

std::vector<std::string> LstmModel::backward_units() const {
  // decode_backward, then encode_backward (their grads_final calls).
  std::vector<std::string> u = {"output.", "decoder.output_proj."};
  for (int k = cfg_.dec_layers - 1; k >= 1; --k) u.push_back("decoder.layers." + std::to_string(k) + ".");
  u.push_back("decoder.attention.");
  u.push_back("decoder.layers.0.");
  if (!cfg_.tied_embeddings) u.push_back("embeddings.tgt.");
  for (int k = cfg_.enc_layers - 1; k >= 0; --k) u.push_back("encoder.layers." + std::to_string(k) + ".");
  u.push_back("embeddings.src.");
  return u;
}

// x (B,T,D) -> x + MoE(x) over the B*T rows (routing context set by the caller).
Tensor LstmModel::moe_forward(nn::Ctx& ctx, int stack, int layer, const Tensor& x) {
  moe::MoeLayer* m = (stack == 0 ? moe_enc_ : moe_dec_)[layer].get();
  if (!m) return x;
  const int64_t d = x.size(-1);
  Tensor y = m->forward(ctx, x.reshape({x.numel() / d, d}));
  return plus(x, y.reshape(x.shape()));
}

// Forward was `x + MoE(x)`: dx + MoE'(x)ᵀ dx.
Tensor LstmModel::moe_backward(nn::Ctx& ctx, int stack, int layer, const Tensor& dx) {
  moe::MoeLayer* m = (stack == 0 ? moe_enc_ : moe_dec_)[layer].get();
  if (!m) return dx;
  const int64_t d = dx.size(-1);
  Tensor g = m->backward(ctx, dx.reshape({dx.numel() / d, d}));
  return plus(dx, g.reshape(dx.shape()));
}

// Whether LSTM layer i of `stack` adds its input x (H wide): from the third layer on (GNMT), and
// with --skip also the second (Marian: every layer after the first) unless its input is the
// bidirectional layer's 2H.
bool LstmModel::residual(int stack, size_t i) const {
  if (i >= 2) return true;
  return i == 1 && cfg_.skip && !(stack == 0 && bidirectional_);
}

// src_ids (B,S) -> (B,S,H). Layer i: x = LSTM_i(x) (+ x when residual(0, i)), then the
// MoE slot after it. saved == nullptr: no backward follows.
Tensor LstmModel::encode(nn::Ctx& ctx, const Tensor& src_ids, const Tensor& src_lengths,
                         EncoderSaved* saved) {
  EncoderSaved scratch;  // forward only: what backward would need is dropped
  EncoderSaved& sv = saved ? *saved : scratch;
  Tensor x = src_drop_.forward(ctx, src_emb_->forward(ctx, src_ids, sv.emb), sv.drop);  // (B,S,E)
  sv.layers.resize(enc_.size());
  for (size_t i = 0; i < enc_.size(); ++i) {
    if (!enc_[i]) {
      nn::BiLstmOutput o = enc_bi_->forward(ctx, x, src_lengths);  // (B,S,2H)
      x = o.y;
      if (saved) sv.bi = std::move(o.saved);
    } else {
      nn::LstmOutput o = enc_[i]->forward(ctx, x, src_lengths);
      x = residual(0, i) ? plus(o.y, x) : o.y;
      if (saved) sv.layers[i] = std::move(o.saved);
    }
    x = moe_forward(ctx, 0, static_cast<int>(i), x);
  }
  return x;
}

void LstmModel::encode_backward(nn::Ctx& ctx, const Tensor& d_enc, const EncoderSaved& saved) {
  Tensor dx = d_enc;
  for (size_t k = enc_.size(); k-- > 0;) {
    dx = moe_backward(ctx, 0, static_cast<int>(k), dx);
    if (!enc_[k]) {
      dx = enc_bi_->backward(ctx, dx, saved.bi);
    } else {
      Tensor d_in = enc_[k]->backward(ctx, dx, saved.layers[k]);
      // Forward was `x = LSTM(x) + x` for the residual layers.
      if (residual(0, k)) ops::add_inplace(d_in, dx);
      dx = d_in;
    }
    ctx.grads_final("encoder.layers." + std::to_string(k) + ".");
  }
  src_emb_->backward(ctx, src_drop_.backward(ctx, dx, saved.drop), saved.emb);
  ctx.grads_final("embeddings.src.");
}

// tgt_in (B,T), enc (B,S,H) -> (B,T,E). The bottom layer's output h1 attends to enc; layer
// i >= 1 reads [x ; context]; the output projection reads [top ; context].
Tensor LstmModel::decode(nn::Ctx& ctx, const Tensor& tgt_in, const Tensor& enc,
                         const Tensor& src_lengths, DecoderSaved* saved) {
  DecoderSaved scratch;  // forward only: what backward would need is dropped
  DecoderSaved& sv = saved ? *saved : scratch;
  Tensor y = tgt_drop_.forward(ctx, tgt_emb_->forward(ctx, tgt_in, sv.emb), sv.drop);  // (B,T,E)
  sv.layers.resize(dec_.size());
  nn::LstmOutput o0 = dec_[0]->forward(ctx, y, Tensor());
  if (saved) sv.layers[0] = std::move(o0.saved);
  Tensor context =
      attention_->forward(ctx, o0.y, enc, src_lengths, false, sv.attention);  // (B,T,H)
  Tensor x = moe_forward(ctx, 1, 0, o0.y);
  for (size_t i = 1; i < dec_.size(); ++i) {
    nn::LstmOutput o = dec_[i]->forward(ctx, nn::concat_features(x, context), Tensor());
    x = residual(1, i) ? plus(o.y, x) : o.y;
    if (saved) sv.layers[i] = std::move(o.saved);
    x = moe_forward(ctx, 1, static_cast<int>(i), x);
  }
  return out_proj_->forward(ctx, nn::concat_features(x, context), sv.out_proj);
}

Tensor LstmModel::decode_backward(nn::Ctx& ctx, const Tensor& d_out, const DecoderSaved& saved) {
  Tensor dx, d_context;
  nn::split_features(out_proj_->backward(ctx, d_out, saved.out_proj), dx, d_context);
  ctx.grads_final("decoder.output_proj.");
  for (size_t k = dec_.size(); k-- > 1;) {
    dx = moe_backward(ctx, 1, static_cast<int>(k), dx);
    Tensor d_prev, d_ctx_k;
    nn::split_features(dec_[k]->backward(ctx, dx, saved.layers[k]), d_prev, d_ctx_k);
    ops::add_inplace(d_context, d_ctx_k);
    if (residual(1, k)) ops::add_inplace(d_prev, dx);  // forward: x = LSTM(x ; context) + x
    dx = d_prev;
    ctx.grads_final("decoder.layers." + std::to_string(k) + ".");
  }
  dx = moe_backward(ctx, 1, 0, dx);
  // h1 fed both the next layer (dx) and the attention query.
  nn::MultiHeadAttention::Grads g = attention_->backward(ctx, d_context, saved.attention);
  ctx.grads_final("decoder.attention.");
  ops::add_inplace(dx, g.dq_in);
  Tensor dy = dec_[0]->backward(ctx, dx, saved.layers[0]);
  ctx.grads_final("decoder.layers.0.");
  tgt_emb_->backward(ctx, tgt_drop_.backward(ctx, dy, saved.drop), saved.emb);
  if (!cfg_.tied_embeddings) ctx.grads_final("embeddings.tgt.");
  return g.dkv_in;
}

LossStats LstmModel::forward_backward(nn::Ctx& ctx, const BatchTensors& batch,
                                      float label_smoothing, float grad_scale) {
  StreamGuard on_stream = ctx.stream_scope();
  b_ = batch.src_ids.size(0);
  s_ = batch.src_ids.size(1);
  t_ = batch.tgt_in.size(1);
  const int64_t e = cfg_.d_model;
  ctx.reset_aux_loss();
  EncoderSaved enc_saved;
  DecoderSaved dec_saved;
  ctx.set_routing(0, s_, batch.src_lang, batch.tgt_lang, batch.src_lengths_host, s_);
  Tensor enc = encode(ctx, batch.src_ids, batch.src_lengths, &enc_saved);
  ctx.set_routing(1, t_, batch.src_lang, batch.tgt_lang, batch.tgt_lengths_host, t_);
  Tensor out = decode(ctx, batch.tgt_in, enc, batch.src_lengths, &dec_saved);

  // Mean over target tokens: dL/dlogits = (softmax - q) / tokens.
  int64_t tokens = 0;
  for (int32_t l : batch.tgt_lengths_host) tokens += l;
  float scale = grad_scale / static_cast<float>(std::max<int64_t>(tokens, 1));
  for (auto* m : moe_) m->set_aux_grad_scale(grad_scale);
  nn::LossResult lr = output_->loss_forward_backward(
      ctx, out.reshape({b_ * t_, e}), batch.tgt_out.reshape({b_ * t_}), label_smoothing, 0, scale);
  LossStats st = LossStats::from_parts(lr.stats, ctx.aux_loss);
  ctx.grads_final("output.");

  Tensor d_enc = decode_backward(ctx, lr.dx.reshape({b_, t_, e}), dec_saved);
  ctx.set_routing(0, s_, batch.src_lang, batch.tgt_lang, batch.src_lengths_host, s_);
  encode_backward(ctx, d_enc, enc_saved);
  return st;
}

LossStats LstmModel::evaluate(nn::Ctx& ctx, const BatchTensors& batch) {
  StreamGuard on_stream = ctx.stream_scope();
  int64_t b = batch.src_ids.size(0), s = batch.src_ids.size(1), t = batch.tgt_in.size(1);
  ctx.reset_aux_loss();
  ctx.set_routing(0, s, batch.src_lang, batch.tgt_lang, batch.src_lengths_host, s);
  Tensor enc = encode(ctx, batch.src_ids, batch.src_lengths, nullptr);
  ctx.set_routing(1, t, batch.src_lang, batch.tgt_lang, batch.tgt_lengths_host, t);
  Tensor out = decode(ctx, batch.tgt_in, enc, batch.src_lengths, nullptr);
  Tensor none;
  nn::LossResult lr = output_->loss(ctx, out.reshape({b * t, cfg_.d_model}),
                                    batch.tgt_out.reshape({b * t}), 0.f, 0, none);
  return LossStats::from_parts(lr.stats, ctx.aux_loss);
}

std::unique_ptr<DecoderState> LstmModel::start(nn::Ctx& ctx, const Tensor& src_ids,
                                               const Tensor& src_lengths,
                                               std::vector<int32_t> src_lang,
                                               std::vector<int32_t> tgt_lang) {
  StreamGuard on_stream = ctx.stream_scope();
  // src_ids (B,S) -> encoder output (B,S,H), attention keys/values, zero decoder states.
  const int64_t b = src_ids.size(0), s = src_ids.size(1), h = cfg_.dim_rnn;
  std::vector<int32_t> lens = src_lengths.to_ivector();
  ctx.set_routing(0, s, src_lang, tgt_lang, lens, s);
  Tensor enc = encode(ctx, src_ids, src_lengths, nullptr);
  auto owned = std::make_unique<LstmState>();
  LstmState& st = *owned;
  attention_->init_cache(ctx, enc, src_lengths, st.cross);
  for (size_t i = 0; i < dec_.size(); ++i) {
    st.h.push_back(Tensor::zeros({b, h}, DType::f32, enc.device()));
    st.c.push_back(Tensor::zeros({b, h}, DType::f32, enc.device()));
  }
  st.src_lang = std::move(src_lang);
  st.tgt_lang = std::move(tgt_lang);
  return owned;
}

Tensor LstmModel::step(nn::Ctx& ctx, DecoderState& base, const std::vector<int32_t>& tokens) {
  StreamGuard on_stream = ctx.stream_scope();
  auto& st = dynamic_cast<LstmState&>(base);
  // tokens (B) -> log-probabilities (B,V) of the next token; the same layers as decode() for
  // one position.
  const int64_t b = static_cast<int64_t>(tokens.size()), h = cfg_.dim_rnn;
  MOEMT_CHECK(b == st.rows(), "step with {} tokens for {} rows", b, st.rows());
  ctx.set_routing(1, 1, st.src_lang, st.tgt_lang, {}, 1);
  Tensor ids = ids_tensor(tokens, st.h[0].device());
  Tensor y = tgt_emb_->forward(ctx, ids);  // (B,E)
  Tensor h1 = dec_[0]->step(y, st.h[0], st.c[0]).reshape({b, 1, h});
  Tensor context = attention_->forward_incremental(ctx, h1, st.cross);  // (B,1,H)
  Tensor x = moe_forward(ctx, 1, 0, h1);
  for (size_t i = 1; i < dec_.size(); ++i) {
    Tensor in = nn::concat_features(x, context).reshape({b, 2 * h});
    Tensor o = dec_[i]->step(in, st.h[i], st.c[i]).reshape({b, 1, h});
    x = residual(1, i) ? plus(o, x) : o;
    x = moe_forward(ctx, 1, static_cast<int>(i), x);
  }
  Tensor top = out_proj_->apply(nn::concat_features(x, context)).reshape({b, cfg_.d_model});
  Tensor logits = output_->logits(ctx, top);
  ops::log_softmax(logits, logits);
  return logits;
}

}  // namespace moemt::model
