// Linear layer forward and backward over BLAS.
#include "nn/linear.h"

#include "nn/precision.h"
#include "ops/elementwise.h"
#include "ops/gemm.h"

namespace moemt::nn {

namespace {
Shape with_last(const Shape& s, int64_t last) {
  Shape r = s;
  r[-1] = last;
  return r;
}
}  // namespace

Linear::Linear(ParamStore& store, const std::string& name, const LinearConfig& cfg) : cfg_(cfg) {
  MOEMT_CHECK(cfg.in > 0 && cfg.out > 0, "Linear '{}' needs positive sizes, got {}x{}", name,
              cfg.in, cfg.out);
  weight =
      store.add(name + ".weight", {cfg.in, cfg.out}, InitSpec::Xavier(cfg.init_gain), cfg.group);
  if (cfg.bias) bias = store.add(name + ".bias", {cfg.out}, InitSpec::Zeros(), cfg.group);
}

// x (..., in) -> y (..., out)
Tensor Linear::apply(const Tensor& x) const {
  MOEMT_CHECK(x.rank() >= 1 && x.size(-1) == cfg_.in, "Linear: input {} for in={}", x.shape().str(),
              cfg_.in);
  return apply_compute(in_dtype(x, weight.store->compute_dtype()));
}

// xc (..., in) in the weight's compute dtype -> y (..., out), f32.
Tensor Linear::apply_compute(const Tensor& xc) const {
  Tensor y = Tensor::empty(with_last(xc.shape(), cfg_.out), DType::f32, xc.device());
  ops::gemm(xc, false, weight.wc(), false, y);     // y = x · W
  if (bias.defined()) ops::add_bias(y, bias.w());  // y += b
  return y;
}

// x (..., in) -> y (..., out); saves x in the compute dtype (bf16 under mixed precision).
Tensor Linear::forward(Ctx& ctx, const Tensor& x, Saved& saved) {
  MOEMT_CHECK(x.rank() >= 1 && x.size(-1) == cfg_.in, "Linear: input {} for in={}", x.shape().str(),
              cfg_.in);
  saved.x = in_dtype(x, weight.store->compute_dtype());
  return apply_compute(saved.x);
}

// dy (..., out) -> dx (..., in); dW (in, out) += xᵀ·dy, db (out) += column sums of dy.
Tensor Linear::backward(Ctx& ctx, const Tensor& dy, const Saved& saved) {
  const Tensor& x = saved.x;
  MOEMT_CHECK(x.defined() && x.numel() / cfg_.in == dy.numel() / cfg_.out,
              "Linear::backward: dy {} does not match the forward input {}", dy.shape().str(),
              x.shape().str());
  // Forward was `y = x · W + b`, so dx = dy · Wᵀ, dW += xᵀ · dy, db += sum_rows dy. The GEMMs
  // read dy in the compute dtype (x was saved in it) and write f32.
  const Tensor dyc = in_dtype(dy, x.dtype());
  Tensor dx = Tensor::empty(x.shape(), DType::f32, dy.device());
  ops::gemm(dyc, false, weight.wc(), true, dx);
  Tensor gw = weight.g();
  ops::gemm(x, true, dyc, false, gw, 1.f, 1.f);
  if (bias.defined()) {
    Tensor gb = bias.g();
    ops::bias_grad(dy, gb);
  }
  return dx;
}

}  // namespace moemt::nn
