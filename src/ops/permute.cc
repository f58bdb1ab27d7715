// Entry points of the permutation ops: shape checks, then device dispatch.
#include "ops/permute.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "permute.cuh"
#endif

namespace moemt::ops {

namespace {
// The floating tensors (tokens, rows and, when given, the weights) through compute_device.
Device check_slots(const char* op, const Tensor& tokens, const Tensor& slot_row, const Tensor& w,
                   const Tensor& rows) {
  const bool weighted = w.defined() && w.numel() > 0;
  const Device dev = weighted ? compute_device(op, kF32Only, tokens, rows, w)
                              : compute_device(op, kF32Only, tokens, rows);
  expect_dtype(op, "slot_row", slot_row, DType::i32);
  same_device(tokens, slot_row);
  MOEMT_CHECK(slot_row.rank() == 2, "slot_row {}", slot_row.shape().str());
  MOEMT_CHECK(slot_row.size(0) == tokens.shape().rows(), "slot_row {} for {} tokens",
              slot_row.shape().str(), tokens.shape().rows());
  MOEMT_CHECK(tokens.shape().cols() == rows.shape().cols(), "row widths {} vs {}",
              tokens.shape().str(), rows.shape().str());
  if (weighted) MOEMT_CHECK(w.numel() == slot_row.numel(), "weights {}", w.shape().str());
  return dev;
}
}  // namespace

void permute(const Tensor& x, const Tensor& slot_row, const Tensor& w, Tensor& out) {
  MOEMT_DISPATCH(check_slots("permute", x, slot_row, w, out), permute, x, slot_row, w, out);
}

void unpermute_combine(const Tensor& y, const Tensor& slot_row, const Tensor& w, Tensor& out,
                       float beta) {
  MOEMT_DISPATCH(check_slots("unpermute_combine", out, slot_row, w, y), unpermute_combine, y,
                 slot_row, w, out, beta);
}

void combine_weight_grad(const Tensor& dout, const Tensor& y, const Tensor& slot_row, Tensor& dw) {
  MOEMT_DISPATCH(check_slots("combine_weight_grad", dout, slot_row, dw, y), combine_weight_grad,
                 dout, y, slot_row, dw);
}

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/permute.cu on the device's current stream.
namespace cuda {
namespace {
const float* weights_or_null(const Tensor& w) {
  return w.defined() && w.numel() > 0 ? w.data<float>() : nullptr;
}
void* stream_of(const Tensor& t) { return current_stream(t.device()).handle; }
}  // namespace
void permute(const Tensor& x, const Tensor& slot_row, const Tensor& w, Tensor& out) {
  kernels::launch_permute(x.data<float>(), slot_row.data<int32_t>(), weights_or_null(w),
                          out.data<float>(), slot_row.size(0), slot_row.size(1), x.shape().cols(),
                          x.device().index, stream_of(x));
}
void unpermute_combine(const Tensor& y, const Tensor& slot_row, const Tensor& w, Tensor& out,
                       float beta) {
  kernels::launch_unpermute_combine(y.data<float>(), slot_row.data<int32_t>(), weights_or_null(w),
                                    out.data<float>(), beta, slot_row.size(0), slot_row.size(1),
                                    y.shape().cols(), y.device().index, stream_of(y));
}
void combine_weight_grad(const Tensor& dout, const Tensor& y, const Tensor& slot_row, Tensor& dw) {
  kernels::launch_combine_weight_grad(dout.data<float>(), y.data<float>(),
                                      slot_row.data<int32_t>(), dw.data<float>(), slot_row.size(0),
                                      slot_row.size(1), y.shape().cols(), y.device().index,
                                      stream_of(y));
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
