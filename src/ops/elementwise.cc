// Entry points of the elementwise ops: shape checks, then device dispatch.
#include "ops/elementwise.h"

#include "ops/dispatch.h"

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

}  // namespace moemt::ops
