// Entry points of the head layout ops: shape checks, then device dispatch.
#include "ops/heads.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "heads.cuh"
#endif

namespace moemt::ops {

void split_heads(const Tensor& x, int64_t heads, Tensor& y) {
  const Device dev = compute_device("split_heads", kF32Only, x, y);
  MOEMT_CHECK(x.rank() == 3 && heads > 0 && x.size(2) % heads == 0,
              "split_heads: x {} does not split into {} heads", x.shape().str(), heads);
  Shape want{x.size(0), heads, x.size(1), x.size(2) / heads};
  MOEMT_CHECK(y.shape() == want, "split_heads: y {} should be {}", y.shape().str(), want.str());
  if (x.numel() == 0) return;
  MOEMT_DISPATCH(dev, split_heads, x, heads, y);
}

void merge_heads(const Tensor& x, Tensor& y) {
  const Device dev = compute_device("merge_heads", kF32Only, x, y);
  MOEMT_CHECK(x.rank() == 4, "merge_heads: x {} is not (B,H,T,dh)", x.shape().str());
  Shape want{x.size(0), x.size(2), x.size(1) * x.size(3)};
  MOEMT_CHECK(y.shape() == want, "merge_heads: y {} should be {}", y.shape().str(), want.str());
  if (x.numel() == 0) return;
  MOEMT_DISPATCH(dev, merge_heads, x, y);
}

void concat_time(const Tensor& a, const Tensor& b, Tensor& y) { concat_time(a, Tensor(), b, y); }

void concat_time(const Tensor& a, const Tensor& a_rows, const Tensor& b, Tensor& y) {
  const Device dev = compute_device("concat_time", kF32Only, a, b, y);
  MOEMT_CHECK(a.rank() == 4 && b.rank() == 4 && y.rank() == 4, "concat_time ranks {} {} {}",
              a.shape().str(), b.shape().str(), y.shape().str());
  Shape want{b.size(0), a.size(1), a.size(2) + b.size(2), a.size(3)};
  MOEMT_CHECK(b.size(1) == a.size(1) && b.size(3) == a.size(3) && y.shape() == want &&
                  (a_rows.defined() || a.size(0) == b.size(0)),
              "concat_time shapes a {} b {} y {}", a.shape().str(), b.shape().str(),
              y.shape().str());
  if (a_rows.defined()) {
    expect_dtype("concat_time", "a_rows", a_rows, DType::i32);
    MOEMT_CHECK(a_rows.numel() == b.size(0) && a_rows.device() == a.device(),
                "concat_time rows {} for {} output rows", a_rows.shape().str(), b.size(0));
  }
  if (y.numel() == 0) return;
  MOEMT_DISPATCH(dev, concat_time, a, a_rows, b, y);
}

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/heads.cu on the device's current stream.
namespace cuda {
void split_heads(const Tensor& x, int64_t heads, Tensor& y) {
  kernels::launch_split_heads(x.data<float>(), y.data<float>(), x.size(0), x.size(1), heads,
                              x.size(2) / heads, x.device().index,
                              current_stream(x.device()).handle);
}
void merge_heads(const Tensor& x, Tensor& y) {
  kernels::launch_merge_heads(x.data<float>(), y.data<float>(), x.size(0), x.size(2), x.size(1),
                              x.size(3), x.device().index, current_stream(x.device()).handle);
}
void concat_time(const Tensor& a, const Tensor& a_rows, const Tensor& b, Tensor& y) {
  // A row outside a is the CPU's error too: one 4-byte read back per gathered call (beam search
  // reads its step's tokens anyway).
  const Device dev = a.device();
  const int64_t rows = b.size(0);
  Tensor bad = a_rows.defined() ? Tensor::zeros({1}, DType::i32, dev) : Tensor();
  kernels::launch_concat_time(a.data<float>(),
                              a_rows.defined() ? a_rows.data<int32_t>() : nullptr, a.size(0),
                              b.data<float>(), y.data<float>(), rows, a.size(1),
                              a.size(2) * a.size(3), b.size(2) * b.size(3),
                              bad.defined() ? bad.data<int32_t>() : nullptr, dev.index,
                              current_stream(dev).handle);
  if (!bad.defined()) return;
  const int32_t flag = read_scalar<int32_t>(bad);
  if (flag > 0) {
    int32_t row = 0;
    copy_bytes(&row, Device::cpu(), a_rows.data<int32_t>() + (rows - flag), dev, sizeof(row));
    MOEMT_CHECK(false, "concat_time row {} outside [0, {})", row, a.size(0));
  }
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
