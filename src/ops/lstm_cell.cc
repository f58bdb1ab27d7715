// Entry points of the LSTM cell op: shape checks and device dispatch.
#include "ops/lstm_cell.h"

#include "ops/dispatch.h"

#if defined(MOEMT_OP_HAS_CUDA)
#include "lstm_cell.cuh"
#endif

namespace moemt::ops {

namespace {
void check_state(const char* what, const Tensor& x, int64_t b, int64_t h) {
  MOEMT_CHECK(x.rank() == 2 && x.size(0) == b && x.size(1) == h,
              "lstm_cell: {} {} should be ({}, {})", what, x.shape().str(), b, h);
}
void check_lengths(const Tensor& lengths, int64_t b) {
  if (!lengths.defined()) return;
  expect_dtype("lstm_cell", "lengths", lengths, DType::i32);
  MOEMT_CHECK(lengths.numel() == b, "lstm_cell: lengths {} should be ({})", lengths.shape().str(),
              b);
}
}  // namespace

void lstm_cell_forward(const Tensor& gx, const Tensor& gh, const Tensor& h_prev,
                       const Tensor& c_prev, const Tensor& lengths, int64_t t, Tensor& acts,
                       Tensor& h_next, Tensor& c_next, Tensor& y) {
  const Device d = compute_device("lstm_cell_forward", kF32Only, gx, gh, h_prev, c_prev, acts,
                                  h_next, c_next, y);
  MOEMT_CHECK(gx.rank() == 2 && gx.size(1) % 4 == 0, "lstm_cell: gx {} is not (B, 4H)",
              gx.shape().str());
  const int64_t b = gx.size(0), h = gx.size(1) / 4;
  check_state("gx", gx, b, 4 * h);
  check_state("gh", gh, b, 4 * h);
  check_state("acts", acts, b, 4 * h);
  check_state("h_prev", h_prev, b, h);
  check_state("c_prev", c_prev, b, h);
  check_state("h_next", h_next, b, h);
  check_state("c_next", c_next, b, h);
  check_state("y", y, b, h);
  check_lengths(lengths, b);
  if (b == 0) return;
  if (lengths.defined()) same_device(gx, lengths);
  MOEMT_DISPATCH(d, lstm_cell_forward, gx, gh, h_prev, c_prev, lengths, t, acts, h_next, c_next, y);
}

void lstm_cell_backward(const Tensor& dy, const Tensor& dh_next, const Tensor& dc_next,
                        const Tensor& acts, const Tensor& c_prev, const Tensor& c_next,
                        const Tensor& lengths, int64_t t, Tensor& dgates, Tensor& dh_prev,
                        Tensor& dc_prev) {
  const Device d = compute_device("lstm_cell_backward", kF32Only, acts, dy, dh_next, dc_next,
                                  c_prev, c_next, dgates, dh_prev, dc_prev);
  MOEMT_CHECK(acts.rank() == 2 && acts.size(1) % 4 == 0, "lstm_cell: acts {} is not (B, 4H)",
              acts.shape().str());
  const int64_t b = acts.size(0), h = acts.size(1) / 4;
  check_state("dgates", dgates, b, 4 * h);
  for (const Tensor* x : std::initializer_list<const Tensor*>{&dy, &dh_next, &dc_next, &c_prev,
                                                              &c_next, &dh_prev, &dc_prev})
    check_state("state gradient", *x, b, h);
  check_lengths(lengths, b);
  if (b == 0) return;
  if (lengths.defined()) same_device(acts, lengths);
  MOEMT_DISPATCH(d, lstm_cell_backward, dy, dh_next, dc_next, acts, c_prev, c_next, lengths, t,
                 dgates, dh_prev, dc_prev);
}

#if defined(MOEMT_OP_HAS_CUDA)
// Tensor-level wrappers of kernels/lstm_cell.cu on the device's current stream.
namespace cuda {
namespace {
const int32_t* lens_or_null(const Tensor& l) {
  return l.defined() ? l.data<int32_t>() : nullptr;
}
}  // namespace
void lstm_cell_forward(const Tensor& gx, const Tensor& gh, const Tensor& h_prev,
                       const Tensor& c_prev, const Tensor& lengths, int64_t t, Tensor& acts,
                       Tensor& h_next, Tensor& c_next, Tensor& y) {
  kernels::launch_lstm_cell_forward(gx.data<float>(), gh.data<float>(), h_prev.data<float>(),
                                    c_prev.data<float>(), lens_or_null(lengths), t,
                                    acts.data<float>(), h_next.data<float>(), c_next.data<float>(),
                                    y.data<float>(), gx.size(0), gx.size(1) / 4, gx.device().index,
                                    current_stream(gx.device()).handle);
}
void lstm_cell_backward(const Tensor& dy, const Tensor& dh_next, const Tensor& dc_next,
                        const Tensor& acts, const Tensor& c_prev, const Tensor& c_next,
                        const Tensor& lengths, int64_t t, Tensor& dgates, Tensor& dh_prev,
                        Tensor& dc_prev) {
  kernels::launch_lstm_cell_backward(
      dy.data<float>(), dh_next.data<float>(), dc_next.data<float>(), acts.data<float>(),
      c_prev.data<float>(), c_next.data<float>(), lens_or_null(lengths), t, dgates.data<float>(),
      dh_prev.data<float>(), dc_prev.data<float>(), acts.size(0), acts.size(1) / 4,
      acts.device().index, current_stream(acts.device()).handle);
}
}  // namespace cuda
#endif

}  // namespace moemt::ops
