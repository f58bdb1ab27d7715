// Entry points of the embedding ops.
#include "ops/embedding.h"

#include "ops/dispatch.h"

namespace moemt::ops {

namespace {
Device check(const Tensor& ids, const Tensor& table, const Tensor& rows, const char* what) {
  const Device dev = compute_device(what, kF32Only, table, rows);
  expect_dtype(what, "ids", ids, DType::i32);
  same_device(ids, table);
  MOEMT_CHECK(table.rank() == 2, "{}: table {}", what, table.shape().str());
  MOEMT_CHECK(rows.shape().cols() == table.size(1) && rows.shape().rows() == ids.numel(),
              "{}: {} rows of width {} for {} ids", what, rows.shape().rows(), rows.shape().cols(),
              ids.numel());
  return dev;
}
}  // namespace

void embedding_lookup(const Tensor& ids, const Tensor& table, float scale, Tensor& out) {
  MOEMT_DISPATCH(check(ids, table, out, "embedding_lookup"), embedding_lookup, ids, table, scale,
                 out);
}

void embedding_grad(const Tensor& ids, const Tensor& dy, float scale, Tensor& dtable) {
  MOEMT_DISPATCH(check(ids, dtable, dy, "embedding_grad"), embedding_grad, ids, dy, scale, dtable);
}

}  // namespace moemt::ops
