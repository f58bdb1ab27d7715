// Whole-model checks of the LSTM encoder-decoder: finite-difference gradients of a full
// training step (dense, MoE, bidirectional and unidirectional encoders, residual layers), decoding
// steps that agree with the teacher-forced forward, beam reorders, and the factory.
#include "model/lstm_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "model/checkpoint.h"
#include "model_gradcheck.h"
#include "nn/gradcheck.h"

namespace moemt::model {
namespace {

ModelConfig tiny_config(bool moe, EncoderType enc_type = EncoderType::bidirectional) {
  ModelConfig c;
  c.type = ModelType::lstm;
  c.vocab_size = 13;
  c.d_model = 10;  // differs from dim-rnn: the output projection maps 2H -> E
  c.dim_rnn = 8;
  c.heads = 2;
  c.ffn_dim = 12;
  c.enc_layers = 3;  // the third layer has a residual connection
  c.dec_layers = 3;
  c.enc_type = enc_type;
  c.dropout = 0.f;
  c.activation = ops::Activation::gelu;  // smooth: finite differences across ReLU kinks lie
  c.languages = {"eng_Latn", "deu_Latn", "fra_Latn"};
  c.language_groups = {"Germanic", "Germanic", "Romance"};
  c.use_moe = moe;
  c.moe_enc_layers = {0, 1};  // after the bidirectional layer (2H wide) and after layer 1
  c.moe_dec_layers = {1};
  for (auto* m : {&c.moe.encoder, &c.moe.decoder}) {
    // Two experts, top-2: every token reaches both, so routing has no discrete choice that a
    // finite-difference nudge could flip (LSTM outputs feed the router without a layer norm,
    // and top-2 of 4 flips under a 1e-2 nudge of a bias for some token at any seed tried).
    // The gates, combine, router and expert gradients are all exercised.
    m->num_experts = 2;
    m->top_k = 2;
    m->capacity_factor_train = 0;  // dropless
    m->capacity_factor_eval = 0;
    m->switch_loss_coef = 0.f;  // its token fractions are piecewise constant
    m->importance_loss_coef = 0.01f;
    m->z_loss_coef = 0.001f;
  }
  return c;
}

using testing::tiny_batch;

void check_model_gradients(const ModelConfig& cfg, Device dev = Device::cpu()) {
  LstmModel model(cfg);
  model.finalize(dev, 5);
  int64_t sizes = 0;
  for (int i = 0; i < model.params().size(); ++i) sizes += model.params().info(i).shape.numel();
  EXPECT_EQ(sizes, cfg.parameter_count());
  testing::expect_model_gradients(model, tiny_batch(dev));
}

}  // namespace

class LstmModelTest : public moemt::testing::DeviceTest {};

TEST(LstmModel, BackwardUnitsSignalFinalGradients) {
  testing::expect_backward_units_of<LstmModel>(tiny_config(true));
}

TEST_P(LstmModelTest, GradientsDense) {
  MOEMT_MODEL_KERNELS;
  check_model_gradients(tiny_config(false), dev());
}
TEST_P(LstmModelTest, GradientsMoe) {
  MOEMT_MODEL_KERNELS;
  LstmModel m(tiny_config(true));
  EXPECT_EQ(m.moe_layers().size(), 3u);
  check_model_gradients(tiny_config(true), dev());
}
TEST(LstmModel, GradientsUnidirectionalMoeEvery) {
  ModelConfig c = tiny_config(true, EncoderType::unidirectional);
  c.moe_enc_layers.clear();  // every = 1: MoE after layers 0 and 1 (not after the last)
  c.moe.encoder.every = 1;
  LstmModel m(c);
  EXPECT_EQ(m.moe_layers().size(), 3u);
  check_model_gradients(c);
}

// --dropout-rnn (variational masks in every LSTM, redrawn identically per evaluation by the
// fixed step) and --skip (a residual around the second layer of the decoder, and of a
// unidirectional encoder).
TEST(LstmModel, GradientsRnnDropoutAndSkip) {
  for (EncoderType enc : {EncoderType::bidirectional, EncoderType::unidirectional}) {
    ModelConfig c = tiny_config(true, enc);
    c.dropout_rnn = 0.3f;
    c.skip = true;
    check_model_gradients(c);
  }
}

// --enc-cell-depth/--dec-cell-depth: transition cells in every layer of both stacks (the
// bidirectional one included); parameter_count() is checked against the model too. Decoding
// steps still equal the teacher-forced forward.
TEST(LstmModel, GradientsCellDepth) {
  ModelConfig c = tiny_config(true);
  c.enc_cell_depth = 2;
  c.dec_cell_depth = 3;
  c.dropout_rnn = 0.2f;
  check_model_gradients(c);
  c.dropout_rnn = 0.f;
  LstmModel model(c);
  model.finalize(Device::cpu(), 9);
  testing::expect_steps_match_forward(model, "cell depth");
  c.dec_cell_depth = 65;
  EXPECT_THROW(c.validate(), Error);
}

// Both options change the training forward; dropout-rnn leaves evaluation alone.
TEST(LstmModel, RnnDropoutAndSkipChangeTheForward) {
  auto losses = [](const ModelConfig& c) {
    LstmModel m(c);
    m.finalize(Device::cpu(), 5);
    nn::Ctx train;
    train.training = true;
    train.begin_step(1);
    double tr = m.forward_backward(train, tiny_batch(), 0.f).read_to_host().loss_sum;
    nn::Ctx eval;
    return std::make_pair(tr, m.evaluate(eval, tiny_batch()).read_to_host().loss_sum);
  };
  ModelConfig base = tiny_config(false);
  ModelConfig drop = base, skip = base;
  drop.dropout_rnn = 0.3f;
  skip.skip = true;
  auto [base_tr, base_ev] = losses(base);
  auto [drop_tr, drop_ev] = losses(drop);
  auto [skip_tr, skip_ev] = losses(skip);
  EXPECT_NE(drop_tr, base_tr);
  EXPECT_DOUBLE_EQ(drop_ev, base_ev);
  EXPECT_NE(skip_ev, base_ev);
  // Both keys round-trip through config.yml.
  ModelConfig both = base;
  both.dropout_rnn = 0.25f;
  both.skip = true;
  ModelConfig back = model_config_from_yaml(to_yaml(both), "config.yml");
  EXPECT_FLOAT_EQ(back.dropout_rnn, 0.25f);
  EXPECT_TRUE(back.skip);
  both.dropout_rnn = 0.95f;
  EXPECT_THROW(both.validate(), Error);
}

TEST(LstmModel, GradientsOneLayerEachSide) {
  ModelConfig c = tiny_config(false, EncoderType::unidirectional);
  c.enc_layers = c.dec_layers = 1;
  c.moe_enc_layers = c.moe_dec_layers = {};
  check_model_gradients(c);
}

TEST_P(LstmModelTest, DecodingStepsMatchTeacherForcedForward) {
  MOEMT_MODEL_KERNELS;
  ModelConfig single = tiny_config(false, EncoderType::unidirectional);
  single.enc_layers = single.dec_layers = 1;  // no stacking: the context reaches only the output
  single.moe_enc_layers = single.moe_dec_layers = {};
  for (const ModelConfig& cfg : {tiny_config(false), tiny_config(true), single}) {
    LstmModel model(cfg);
    model.finalize(dev(), 9);
    testing::expect_steps_match_forward(model, cfg.use_moe ? "moe" : "dense", dev());
  }
}

// Reordering rows (beam search) carries each row's state: swapping the two sentences and
// stepping gives the swapped log-probabilities.
TEST(LstmModel, ReorderCarriesRowState) {
  LstmModel model(tiny_config(false));
  model.finalize(Device::cpu(), 9);
  BatchTensors batch = tiny_batch();
  nn::Ctx ctx;
  auto a = model.start(ctx, batch.src_ids, batch.src_lengths, batch.src_lang, batch.tgt_lang);
  auto b = model.start(ctx, batch.src_ids, batch.src_lengths, batch.src_lang, batch.tgt_lang);
  model.step(ctx, *a, {2, 2});
  model.step(ctx, *b, {2, 2});
  b->reorder({1, 0, 0});
  EXPECT_EQ(b->rows(), 3);
  auto va = model.step(ctx, *a, {9, 11}).to_vector();
  auto vb = model.step(ctx, *b, {11, 9, 9}).to_vector();
  for (int v = 0; v < 13; ++v) {
    EXPECT_NEAR(vb[v], va[13 + v], 1e-5);
    EXPECT_NEAR(vb[13 + v], va[v], 1e-5);
    EXPECT_NEAR(vb[26 + v], va[v], 1e-5);
  }
}

TEST(LstmModel, FactoryAndConfig) {
  ModelConfig c = tiny_config(true);
  EXPECT_NE(dynamic_cast<LstmModel*>(make_model(c).get()), nullptr);
  std::string y = to_yaml(c);
  EXPECT_NE(y.find("type: lstm"), std::string::npos);
  ModelConfig d = model_config_from_yaml(y, "config.yml");
  EXPECT_EQ(to_yaml(d), y);
  EXPECT_EQ(d.type, ModelType::lstm);
  EXPECT_EQ(d.dim_rnn, 8);
  EXPECT_EQ(d.moe_enc_layers, (std::vector<int>{0, 1}));
  EXPECT_EQ(d.parameter_count(), c.parameter_count());
  // MoE slots lie between layers: 3 layers have slots 0 and 1.
  c.moe_dec_layers = {2};
  EXPECT_THROW(c.validate(), Error);
  c.moe_dec_layers = {};
  c.enc_layers = 1;  // a lone bidirectional layer would give 2H-wide encoder states
  EXPECT_THROW(c.validate(), Error);
  c.enc_type = EncoderType::unidirectional;
  c.moe_enc_layers = {};
  EXPECT_NO_THROW(c.validate());
  c.enc_cell = "gru";
  EXPECT_THROW(c.validate(), Error);
}

// Save and load through the checkpoint files: same config, same parameters bit for bit, same
// loss, and the loaded model is an LstmModel again.
TEST(LstmModel, CheckpointRoundTrip) {
  ModelConfig c = tiny_config(true);
  LstmModel model(c);
  model.finalize(Device::cpu(), 21);
  std::string dir = ::testing::TempDir() + "/lstm_ckpt";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  save_model_files(dir, c, model.params(), "vocab");
  ModelConfig lc = load_model_config(dir);
  EXPECT_EQ(to_yaml(lc), to_yaml(c));
  auto loaded = make_model(lc);
  ASSERT_NE(dynamic_cast<LstmModel*>(loaded.get()), nullptr);
  loaded->finalize(Device::cpu(), 0, false);
  load_params(dir, loaded->params());
  EXPECT_EQ(loaded->params().values().to_vector(), model.params().values().to_vector());
  nn::Ctx ctx;
  BatchTensors batch = tiny_batch();
  EXPECT_EQ(loaded->evaluate(ctx, batch).read_to_host().nll_sum,
            model.evaluate(ctx, batch).read_to_host().nll_sum);
  std::filesystem::remove_all(dir);
}

// A Transformer config without `type` is what every checkpoint before the LSTM model holds.
TEST(LstmModel, ConfigWithoutTypeIsTransformer) {
  ModelConfig c = model_config_from_yaml("vocab-size: 100\nlanguages: [eng_Latn]\n", "c.yml");
  EXPECT_EQ(c.type, ModelType::transformer);
  EXPECT_EQ(to_yaml(c).find("type:"), std::string::npos);
  EXPECT_EQ(to_yaml(c).find("dim-rnn"), std::string::npos);
}

MOEMT_INSTANTIATE_ON_DEVICES(LstmModelTest);

}  // namespace moemt::model
