// Entry points of the elementwise ops: shape checks, then device dispatch.
#include "ops/elementwise.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "elementwise.cuh"
#endif

namespace moemt::ops {

void add(const Tensor& a, const Tensor& b, Tensor& out) {
  const Device dev = compute_device("add", kF32Only, a, b, out);
  MOEMT_CHECK(a.numel() == b.numel() && a.numel() == out.numel(), "add shapes {} {} {}",
              a.shape().str(), b.shape().str(), out.shape().str());
  MOEMT_DISPATCH(dev, add, a, b, out);
}

void add_inplace(Tensor& y, const Tensor& x, float scale) {
  const Device dev = compute_device("add_inplace", kF32Only, y, x);
  MOEMT_CHECK(y.numel() == x.numel(), "add_inplace shapes {} {}", y.shape().str(), x.shape().str());
  MOEMT_DISPATCH(dev, add_inplace, y, x, scale);
}

void mul(const Tensor& a, const Tensor& b, Tensor& out) {
  const Device dev = compute_device("mul", kF32Only, a, b, out);
  MOEMT_CHECK(a.numel() == b.numel() && a.numel() == out.numel(), "mul shapes {} {} {}",
              a.shape().str(), b.shape().str(), out.shape().str());
  MOEMT_DISPATCH(dev, mul, a, b, out);
}

void scale(Tensor& x, float s) {
  const Device dev = compute_device("scale", kF32Only, x);
  MOEMT_DISPATCH(dev, scale, x, s);
}

void add_bias(Tensor& y, const Tensor& bias) {
  const Device dev = compute_device("add_bias", kF32Only, y, bias);
  MOEMT_CHECK(bias.numel() == y.shape().cols(), "add_bias: y {} bias {}", y.shape().str(),
              bias.shape().str());
  MOEMT_DISPATCH(dev, add_bias, y, bias);
}

void bias_grad(const Tensor& dy, Tensor& db) {
  const Device dev = compute_device("bias_grad", kF32Only, dy, db);
  MOEMT_CHECK(db.numel() == dy.shape().cols(), "bias_grad: dy {} db {}", dy.shape().str(),
              db.shape().str());
  MOEMT_DISPATCH(dev, bias_grad, dy, db);
}

void copy(const Tensor& src, Tensor& dst) {
  const Device dev = compute_device("copy", kF32Only, src, dst);
  MOEMT_CHECK(src.numel() == dst.numel(), "copy {} into {}", src.shape().str(), dst.shape().str());
  MOEMT_DISPATCH(dev, copy, src, dst);
}

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/elementwise.cu: the current stream of the tensors' device.
namespace cuda {
namespace {
float* f(const Tensor& t) { return static_cast<float*>(t.raw()); }
void* stream_of(const Tensor& t) { return current_stream(t.device()).handle; }
}  // namespace
void add(const Tensor& a, const Tensor& b, Tensor& out) {
  kernels::launch_add(f(a), f(b), f(out), a.numel(), a.device().index, stream_of(a));
}
void add_inplace(Tensor& y, const Tensor& x, float scale) {
  kernels::launch_add_inplace(f(y), f(x), scale, y.numel(), y.device().index, stream_of(y));
}
void mul(const Tensor& a, const Tensor& b, Tensor& out) {
  kernels::launch_mul(f(a), f(b), f(out), a.numel(), a.device().index, stream_of(a));
}
void scale(Tensor& x, float s) {
  kernels::launch_scale(f(x), s, x.numel(), x.device().index, stream_of(x));
}
void add_bias(Tensor& y, const Tensor& bias) {
  kernels::launch_add_bias(f(y), f(bias), y.shape().rows(), y.shape().cols(), y.device().index,
                           stream_of(y));
}
void bias_grad(const Tensor& dy, Tensor& db) {
  kernels::launch_bias_grad(f(dy), f(db), dy.shape().rows(), dy.shape().cols(), dy.device().index,
                            stream_of(dy));
}
void copy(const Tensor& src, Tensor& dst) {
  copy_bytes(dst.raw(), dst.device(), src.raw(), src.device(), src.nbytes());
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
