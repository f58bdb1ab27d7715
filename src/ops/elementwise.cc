// Entry points of the elementwise ops: shape checks, then device dispatch.
#include "ops/elementwise.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "elementwise.cuh"
#endif

namespace moemt::ops {

namespace {
void check_f32(const Tensor& t, const char* what) {
  MOEMT_CHECK(t.dtype() == DType::f32, "{}: tensor is {}, expected f32", what,
              dtype_name(t.dtype()));
}
}  // namespace

void add(const Tensor& a, const Tensor& b, Tensor& out) {
  check_f32(a, "add");
  check_f32(b, "add");
  check_f32(out, "add");
  MOEMT_CHECK(a.numel() == b.numel() && a.numel() == out.numel(), "add shapes {} {} {}",
              a.shape().str(), b.shape().str(), out.shape().str());
  MOEMT_DISPATCH(same_device(a, b, out), add, a, b, out);
}

void add_inplace(Tensor& y, const Tensor& x, float scale) {
  check_f32(y, "add_inplace");
  check_f32(x, "add_inplace");
  MOEMT_CHECK(y.numel() == x.numel(), "add_inplace shapes {} {}", y.shape().str(), x.shape().str());
  MOEMT_DISPATCH(same_device(y, x), add_inplace, y, x, scale);
}

void mul(const Tensor& a, const Tensor& b, Tensor& out) {
  check_f32(a, "mul");
  check_f32(b, "mul");
  check_f32(out, "mul");
  MOEMT_CHECK(a.numel() == b.numel() && a.numel() == out.numel(), "mul shapes {} {} {}",
              a.shape().str(), b.shape().str(), out.shape().str());
  MOEMT_DISPATCH(same_device(a, b, out), mul, a, b, out);
}

void scale(Tensor& x, float s) {
  check_f32(x, "scale");
  MOEMT_DISPATCH(x.device(), scale, x, s);
}

void add_bias(Tensor& y, const Tensor& bias) {
  check_f32(y, "add_bias");
  check_f32(bias, "add_bias");
  MOEMT_CHECK(bias.numel() == y.shape().cols(), "add_bias: y {} bias {}", y.shape().str(),
              bias.shape().str());
  MOEMT_DISPATCH(same_device(y, bias), add_bias, y, bias);
}

void bias_grad(const Tensor& dy, Tensor& db) {
  check_f32(dy, "bias_grad");
  check_f32(db, "bias_grad");
  MOEMT_CHECK(db.numel() == dy.shape().cols(), "bias_grad: dy {} db {}", dy.shape().str(),
              db.shape().str());
  MOEMT_DISPATCH(same_device(dy, db), bias_grad, dy, db);
}

void copy(const Tensor& src, Tensor& dst) {
  MOEMT_CHECK(src.numel() == dst.numel() && src.dtype() == dst.dtype(), "copy {} {} into {} {}",
              src.shape().str(), dtype_name(src.dtype()), dst.shape().str(),
              dtype_name(dst.dtype()));
  MOEMT_DISPATCH(same_device(src, dst), copy, src, dst);
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
