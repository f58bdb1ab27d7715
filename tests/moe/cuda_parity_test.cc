// The MoE layer (router, plan, dispatch, grouped expert GEMMs, combine) on the CPU and on
// cuda:0 from the same parameters and input: output, balancing loss, dx and every parameter
// gradient must agree. On cuda:0 the experts run as grouped GEMMs (ExpertGemm::automatic), on
// the CPU per expert. Skips without a GPU (so far always: the CUDA code is compiled, not run on
// a GPU). Router logits have clear margins (router_init_std 0.5), so routing is the same on
// both devices. Tolerances: 1e-5 relative for values, 1e-4 of the largest gradient.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/cuda_runtime.h"
#include "moe/moe_layer.h"
#include "nn/gradcheck.h"

namespace moemt::moe {
namespace {

struct Side {
  ParamStore ps;
  std::unique_ptr<MoeLayer> layer;
  nn::Ctx ctx;
  Tensor y, dx;
  double aux = 0;
  Side(const MoeConfig& c, Device d, const Tensor& x, const Tensor& probe) {
    layer = std::make_unique<MoeLayer>(ps, "moe", c, 16, 24, ops::Activation::gelu);
    ps.finalize(d, 3);
    ctx.device = d;
    ctx.training = true;
    ctx.seed = 42;
    ctx.begin_step(1);
    ctx.reset_aux_loss();
    ps.zero_grad();
    y = layer->forward(ctx, x.to(d)).to(Device::cpu());
    // The balancing losses the layer added (a test's host read; models copy them into
    // model::LossStats on the device).
    aux = ctx.aux_loss.defined() ? static_cast<double>(ctx.aux_loss.to_vector()[0]) : 0.0;
    dx = layer->backward(ctx, probe.to(d)).to(Device::cpu());
  }
};

void expect_close(const Tensor& got, const Tensor& want, double tol, const char* what) {
  auto g = got.to_vector(), w = want.to_vector();
  ASSERT_EQ(g.size(), w.size()) << what;
  double scale = 1e-12;
  for (float v : w) scale = std::max(scale, static_cast<double>(std::abs(v)));
  for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], w[i], tol * scale) << what << " " << i;
}

}  // namespace

TEST(CudaParity, MoeLayerForwardBackwardWithGroupedExperts) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  MoeConfig c;
  c.num_experts = 8;
  c.top_k = 2;
  c.num_shared_experts = 1;
  c.router_init_std = 0.5f;
  c.capacity_factor_train = 1.0f;
  c.switch_loss_coef = 0.01f;
  c.z_loss_coef = 0.001f;
  const Tensor x = nn::random_tensor({64, 16}, 1), probe = nn::random_tensor({64, 16}, 2);
  Side cpu(c, Device::cpu(), x, probe), gpu(c, Device::cuda(0), x, probe);
  expect_close(gpu.y, cpu.y, 1e-5, "y");
  EXPECT_NEAR(gpu.aux, cpu.aux, 1e-5 * std::max(1.0, std::abs(cpu.aux)));
  expect_close(gpu.dx, cpu.dx, 1e-4, "dx");
  expect_close(gpu.ps.grads().to(Device::cpu()), cpu.ps.grads(), 1e-4, "gradients");
}

}  // namespace moemt::moe
