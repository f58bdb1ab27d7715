// Entry points of the embedding ops.
#include "ops/embedding.h"

#include "ops/dispatch.h"

namespace moemt::ops {

namespace {
void check(const Tensor& ids, const Tensor& table, const Tensor& rows, const char* what) {
  MOEMT_CHECK(ids.dtype() == DType::i32, "{}: ids are {}, expected i32", what,
              dtype_name(ids.dtype()));
  MOEMT_CHECK(table.rank() == 2 && table.dtype() == DType::f32, "{}: table {}", what,
              table.shape().str());
  MOEMT_CHECK(rows.dtype() == DType::f32 && rows.shape().cols() == table.size(1) &&
                  rows.shape().rows() == ids.numel(),
              "{}: {} rows of width {} for {} ids", what, rows.shape().rows(), rows.shape().cols(),
              ids.numel());
}
}  // namespace

void embedding_lookup(const Tensor& ids, const Tensor& table, float scale, Tensor& out) {
  check(ids, table, out, "embedding_lookup");
  MOEMT_DISPATCH(same_device(ids, table, out), embedding_lookup, ids, table, scale, out);
}

void embedding_grad(const Tensor& ids, const Tensor& dy, float scale, Tensor& dtable) {
  check(ids, dtable, dy, "embedding_grad");
  MOEMT_DISPATCH(same_device(ids, dy, dtable), embedding_grad, ids, dy, scale, dtable);
}

}  // namespace moemt::ops
