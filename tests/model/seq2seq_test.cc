// Whole-model checks: finite-difference gradients of a full encoder-decoder step (dense and
// MoE), and decoding steps that agree with the teacher-forced forward.
#include "model/seq2seq.h"

#include <gtest/gtest.h>

#include <cmath>

#include "model_gradcheck.h"
#include "nn/gradcheck.h"

namespace moemt::model {
namespace {

ModelConfig tiny_config(bool moe) {
  ModelConfig c;
  c.vocab_size = 13;
  c.d_model = 8;
  c.heads = 2;
  c.ffn_dim = 12;
  c.enc_layers = 2;
  c.dec_layers = 2;
  c.dropout = 0.f;
  c.activation = ops::Activation::gelu;  // smooth: finite differences across ReLU kinks lie
  c.languages = {"eng_Latn", "deu_Latn", "fra_Latn"};
  c.language_groups = {"Germanic", "Germanic", "Romance"};
  c.use_moe = moe;
  for (auto* m : {&c.moe.encoder, &c.moe.decoder}) {
    m->num_experts = 4;
    m->top_k = 2;
    m->capacity_factor_train = 0;  // dropless: no discrete drops under perturbation
    m->capacity_factor_eval = 0;
    m->switch_loss_coef = 0.01f;
    m->z_loss_coef = 0.001f;
    // Well-separated router logits, so a 1e-2 nudge does not flip a top-k choice (a real
    // discontinuity that finite differences cannot see through).
    m->router_init_std = 0.5f;
  }
  return c;
}

using testing::tiny_batch;

void check_model_gradients(Device dev, bool moe) {
  Seq2Seq model(tiny_config(moe));
  model.finalize(dev, 5);
  testing::expect_model_gradients(model, tiny_batch(dev));
}

}  // namespace

class Seq2SeqTest : public moemt::testing::DeviceTest {};

TEST(Seq2Seq, BackwardUnitsSignalFinalGradients) {
  testing::expect_backward_units_of<Seq2Seq>(tiny_config(true));
}

TEST_P(Seq2SeqTest, GradientsDense) {
  MOEMT_MODEL_KERNELS;
  check_model_gradients(dev(), false);
}
TEST_P(Seq2SeqTest, GradientsMoe) {
  MOEMT_MODEL_KERNELS;
  check_model_gradients(dev(), true);
}

TEST_P(Seq2SeqTest, DecodingStepsMatchTeacherForcedForward) {
  MOEMT_MODEL_KERNELS;
  for (bool moe : {false, true}) {
    Seq2Seq model(tiny_config(moe));
    model.finalize(dev(), 9);
    testing::expect_steps_match_forward(model, moe ? "moe" : "dense", dev());
  }
}

MOEMT_INSTANTIATE_ON_DEVICES(Seq2SeqTest);

}  // namespace moemt::model
