// Entry points of the permutation ops: shape checks, then device dispatch.
#include "ops/permute.h"

#include "ops/dispatch.h"

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

}  // namespace moemt::ops
