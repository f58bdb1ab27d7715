// Whole-model gradient check shared by the model tests: every parameter of any model::Model
// against central differences of the training objective (mean CE + MoE aux losses).
#pragma once

#include <gtest/gtest.h>

#include "model/model.h"
#include "nn/gradcheck.h"

namespace moemt::model::testing {

inline void expect_model_gradients(Model& model, const BatchTensors& batch) {
  nn::Ctx ctx;
  ctx.training = true;
  auto loss = [&]() {
    ctx.begin_step(1);
    auto st = model.forward_backward(ctx, batch, 0.1f);
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

}  // namespace moemt::model::testing
