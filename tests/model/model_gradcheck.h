// Shared by the model tests: a tiny two-sentence batch and the whole-model gradient check (every
// parameter of any model::Model against central differences of mean CE + MoE aux losses).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "device_test.h"
#include "model/model.h"
#include "nn/gradcheck.h"

namespace moemt::model::testing {

// The ops a whole model may call, for MOEMT_NEEDS_KERNELS in device-parameterised tests.
#define MOEMT_MODEL_KERNELS                                                                   \
  MOEMT_NEEDS_KERNELS("accumulate", "activation", "balance_loss", "compact", "cross_entropy", \
                      "dropout", "elementwise", "embedding", "fill", "gemm", "heads",         \
                      "layer_norm", "log_softmax", "lstm_cell", "moe_gate_scale", "moe_plan", \
                      "permute", "positional", "reduce", "reverse_sequence", "router_gate",   \
                      "softmax", "topk")

// Two sentences: lengths 4 and 2 on the source, 3 and 2 on the target (pad = 0), on `device`.
inline BatchTensors tiny_batch(Device device = Device::cpu()) {
  BatchTensors b;
  b.src_ids = Tensor::from_vector(std::vector<int32_t>{5, 6, 7, 3, 8, 3, 0, 0}, {2, 4});
  b.src_lengths_host = {4, 2};
  b.src_lengths = Tensor::from_vector(b.src_lengths_host, {2});
  b.tgt_in = Tensor::from_vector(std::vector<int32_t>{2, 9, 10, 2, 11, 0}, {2, 3});
  b.tgt_out = Tensor::from_vector(std::vector<int32_t>{9, 10, 3, 11, 3, 0}, {2, 3});
  b.tgt_lengths_host = {3, 2};
  b.src_lang = {0, 1};
  b.tgt_lang = {1, 2};
  for (Tensor* t : {&b.src_ids, &b.src_lengths, &b.tgt_in, &b.tgt_out}) *t = t->to(device);
  return b;
}

inline void expect_model_gradients(Model& model, const BatchTensors& batch) {
  nn::Ctx ctx;
  ctx.device = batch.src_ids.device();
  ctx.training = true;
  auto loss = [&]() {
    ctx.begin_step(1);
    auto st = model.forward_backward(ctx, batch, 0.1f).read_to_host();
    return st.loss_sum / st.tokens + st.aux_loss;
  };
  model.params().zero_grad();
  loss();
  Tensor grads = model.params().grads().clone();
  int checked = 0;
  for (int i = 0; i < model.params().size(); ++i) {
    const auto& info = model.params().info(i);
    Tensor g = grads.narrow(info.offset, info.shape.numel());
    auto r = nn::grad_check(loss, model.params().value(i), g, 6, 1e-2f);
    EXPECT_LT(r.max_rel_err, 0.05) << info.name << " " << r.worst;
    EXPECT_LT(r.max_abs_err, 2e-3) << info.name << " " << r.worst;
    ++checked;
  }
  EXPECT_EQ(checked, model.params().size());
}

// Model::backward_units: forward_backward signals every unit once, in the listed order, every
// parameter belongs to a unit (the first prefix it starts with), and no gradient of a unit
// changes after its signal (the trainer starts summing it over the ranks then).
inline void expect_backward_units(Model& model, const BatchTensors& batch) {
  const std::vector<std::string> units = model.backward_units();
  ASSERT_FALSE(units.empty());
  ParamStore& ps = model.params();
  ps.zero_grad();
  std::vector<std::string> seen;
  std::vector<std::vector<float>> at_signal;
  nn::Ctx ctx;
  ctx.device = batch.src_ids.device();
  ctx.training = true;
  ctx.begin_step(1);
  ctx.on_grads_final = [&](const std::string& u) {
    seen.push_back(u);
    at_signal.push_back(ps.grads().to_vector());
  };
  model.forward_backward(ctx, batch, 0.1f);
  ASSERT_EQ(seen, units);
  const std::vector<float> last = ps.grads().to_vector();
  for (int id = 0; id < ps.size(); ++id) {
    const ParamInfo& p = ps.info(id);
    size_t u = 0;
    while (u < units.size() && p.name.rfind(units[u], 0) != 0) ++u;
    ASSERT_LT(u, units.size()) << p.name << " is in no backward unit";
    for (int64_t i = p.offset; i < p.offset + p.shape.numel(); ++i)
      ASSERT_EQ(at_signal[u][i], last[i]) << p.name << " changed after '" << units[u] << "'";
  }
}

// expect_backward_units for a model of type M built from c with tied and separate embeddings.
template <typename M>
void expect_backward_units_of(ModelConfig c) {
  for (bool tied : {true, false}) {
    c.tied_embeddings = tied;
    M model(c);
    model.finalize(Device::cpu(), 5);
    SCOPED_TRACE(tied ? "tied embeddings" : "separate embeddings");
    expect_backward_units(model, tiny_batch());
  }
}

// Decoding steps (start + one step per target position) give the same log-likelihood of the
// tiny batch as the teacher-forced evaluate() (eval mode, vocabulary of 13).
inline void expect_steps_match_forward(Model& model, const std::string& what,
                                       Device device = Device::cpu()) {
  BatchTensors batch = tiny_batch(device);
  nn::Ctx ctx;  // eval mode
  ctx.device = device;
  HostLossStats full = model.evaluate(ctx, batch).read_to_host();
  auto st = model.start(ctx, batch.src_ids, batch.src_lengths, batch.src_lang, batch.tgt_lang);
  auto in = batch.tgt_in.to_ivector(), out = batch.tgt_out.to_ivector();
  double nll = 0;
  for (int t = 0; t < 3; ++t) {
    auto v = model.step(ctx, *st, {in[t], in[3 + t]}).to_vector();
    for (int b = 0; b < 2; ++b)
      if (out[b * 3 + t] != 0) nll -= v[b * 13 + out[b * 3 + t]];
  }
  EXPECT_NEAR(nll, full.nll_sum, 1e-4) << what;
  EXPECT_EQ(full.tokens, 5) << what;
}

}  // namespace moemt::model::testing
