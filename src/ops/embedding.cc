// Entry points of the embedding ops.
#include "ops/embedding.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "embedding.cuh"
#endif

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

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/embedding.cu on the device's current stream.
namespace cuda {
void embedding_lookup(const Tensor& ids, const Tensor& table, float scale, Tensor& out) {
  const Device dev = ids.device();
  const int64_t n = ids.numel(), vocab = table.size(0);
  // Ids come from the host batch; a bad one is reported as the CPU does, at the cost of one
  // 4-byte read back per lookup.
  Tensor bad = Tensor::zeros({1}, DType::i32, dev);
  kernels::launch_embedding_lookup(ids.data<int32_t>(), table.data<float>(), scale,
                                   out.data<float>(), n, vocab, table.size(1),
                                   bad.data<int32_t>(), dev.index, current_stream(dev).handle);
  const int32_t flag = read_scalar<int32_t>(bad);
  if (flag > 0) {
    const int64_t at = n - flag;
    int32_t id = 0;
    copy_bytes(&id, Device::cpu(), ids.data<int32_t>() + at, dev, sizeof(id));
    MOEMT_CHECK(false, "embedding id {} at {} outside [0, {})", id, at, vocab);
  }
}
void embedding_grad(const Tensor& ids, const Tensor& dy, float scale, Tensor& dtable) {
  const Device dev = ids.device();
  const int64_t n = ids.numel(), vocab = dtable.size(0);
  const size_t bytes = kernels::embedding_grad_workspace(n, vocab);
  Tensor ws = Tensor::empty({static_cast<int64_t>((bytes + 7) / 8)}, DType::f64, dev);
  kernels::launch_embedding_grad(ids.data<int32_t>(), dy.data<float>(), scale,
                                 dtable.data<float>(), n, vocab, dtable.size(1), ws.raw(),
                                 dev.index, current_stream(dev).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
