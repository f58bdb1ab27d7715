// One training step and one evaluation of a tiny Transformer (dense and MoE) on the CPU and on
// cuda:0 from the same initial parameters and batch: losses, balancing losses and every
// parameter gradient must agree. Skips without a GPU (so far always: the CUDA code is compiled,
// not run on a GPU). Router logits have clear margins (router_init_std 0.5), so routing is the
// same on both devices. Tolerances: losses 1e-5 relative, gradients 1e-4 of the largest.
#include <gtest/gtest.h>

#include <cmath>

#include "core/cuda_runtime.h"
#include "model/seq2seq.h"
#include "model_gradcheck.h"
#include "ops/kernels_available.h"

namespace moemt::model {
namespace {

ModelConfig parity_config(bool moe) {
  ModelConfig c;
  c.vocab_size = 13;
  c.d_model = 8;
  c.heads = 2;
  c.ffn_dim = 12;
  c.enc_layers = 2;
  c.dec_layers = 2;
  c.dropout = 0.1f;  // the same Philox masks on both devices
  c.languages = {"eng_Latn", "deu_Latn", "fra_Latn"};
  c.language_groups = {"Germanic", "Germanic", "Romance"};
  c.use_moe = moe;
  for (auto* m : {&c.moe.encoder, &c.moe.decoder}) {
    m->num_experts = 4;
    m->top_k = 2;
    m->capacity_factor_train = 1.0f;  // capacity cuts on both devices alike
    m->switch_loss_coef = 0.01f;
    m->z_loss_coef = 0.001f;
    m->router_init_std = 0.5f;
  }
  return c;
}

BatchTensors on_device(const BatchTensors& b, Device d) {
  BatchTensors o = b;
  o.src_ids = b.src_ids.to(d);
  o.src_lengths = b.src_lengths.to(d);
  o.tgt_in = b.tgt_in.to(d);
  o.tgt_out = b.tgt_out.to(d);
  return o;
}

void expect_near_rel(double got, double want, double rel, const char* what) {
  EXPECT_NEAR(got, want, rel * std::max(1.0, std::abs(want))) << what;
}

}  // namespace

TEST(CudaParity, TransformerTrainingStepAndEvaluation) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Device gpu = Device::cuda(0);
  const BatchTensors batch = testing::tiny_batch();
  for (bool moe : {false, true}) {
    SCOPED_TRACE(moe ? "moe" : "dense");
    Seq2Seq cpu_model(parity_config(moe)), gpu_model(parity_config(moe));
    cpu_model.finalize(Device::cpu(), 5);
    gpu_model.finalize(gpu, 5);
    nn::Ctx cc, gc;
    gc.device = gpu;
    for (nn::Ctx* c : {&cc, &gc}) {
      c->training = true;
      c->seed = 11;
      c->begin_step(1);
    }
    cpu_model.params().zero_grad();
    gpu_model.params().zero_grad();
    const HostLossStats sc = cpu_model.forward_backward(cc, batch, 0.1f).read_to_host();
    const HostLossStats sg =
        gpu_model.forward_backward(gc, on_device(batch, gpu), 0.1f).read_to_host();
    EXPECT_EQ(sg.tokens, sc.tokens);
    expect_near_rel(sg.loss_sum, sc.loss_sum, 1e-5, "loss");
    expect_near_rel(sg.nll_sum, sc.nll_sum, 1e-5, "nll");
    expect_near_rel(sg.aux_loss, sc.aux_loss, 1e-5, "aux loss");
    auto g_cpu = cpu_model.params().grads().to_vector();
    auto g_gpu = gpu_model.params().grads().to_vector();
    ASSERT_EQ(g_gpu.size(), g_cpu.size());
    double scale = 0;
    for (float v : g_cpu) scale = std::max(scale, static_cast<double>(std::abs(v)));
    ASSERT_GT(scale, 0.0);
    for (size_t i = 0; i < g_cpu.size(); ++i) ASSERT_NEAR(g_gpu[i], g_cpu[i], 1e-4 * scale) << i;

    nn::Ctx ec, eg;  // eval mode
    eg.device = gpu;
    const HostLossStats ev_c = cpu_model.evaluate(ec, batch).read_to_host();
    const HostLossStats ev_g = gpu_model.evaluate(eg, on_device(batch, gpu)).read_to_host();
    expect_near_rel(ev_g.nll_sum, ev_c.nll_sum, 1e-5, "eval nll");
  }
}

}  // namespace moemt::model
