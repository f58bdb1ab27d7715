// The (device, dtype) contract, checked by one mechanism (ops::compute_device): every op given
// bf16 or f16 tensors on the CPU fails with one line naming the op, the device and the dtype,
// before any shape check; cast accepts them and round-trips, the gemm family widens them to f32
// (the CPU reference of mixed precision); mixed dtypes fail.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "ops/accumulate.h"
#include "ops/activation.h"
#include "ops/adam.h"
#include "ops/balance_loss.h"
#include "ops/beam_topk.h"
#include "ops/cast.h"
#include "ops/cross_entropy.h"
#include "ops/dispatch.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/ema.h"
#include "ops/embedding.h"
#include "ops/fill.h"
#include "ops/gemm.h"
#include "ops/global_norm.h"
#include "ops/heads.h"
#include "ops/layer_norm.h"
#include "ops/log_softmax.h"
#include "ops/lstm_cell.h"
#include "ops/moe_gate_scale.h"
#include "ops/permute.h"
#include "ops/positional.h"
#include "ops/reduce.h"
#include "ops/reverse_sequence.h"
#include "ops/router_gate.h"
#include "ops/softmax.h"
#include "ops/topk.h"

namespace moemt::ops {
namespace {

template <DType T>
struct Reduced {
  static constexpr DType value = T;
};
template <typename P>
class CpuRejectsReduced : public ::testing::Test {};
using ReducedTypes = ::testing::Types<Reduced<DType::bf16>, Reduced<DType::f16>>;
TYPED_TEST_SUITE(CpuRejectsReduced, ReducedTypes);

struct OpCall {
  std::string name;  // as the error names it
  std::function<void()> call;
};

// Every op entry point with a floating-point compute dtype, its floating tensors in `dt`
// (integer arguments i32 as the op wants them). Shapes are valid where it is cheap to make
// them so; the dtype check comes first either way.
std::vector<OpCall> all_ops(DType dt) {
  auto r = [dt](Shape s) { return Tensor::zeros(s, dt); };
  auto i = [](Shape s) { return Tensor::zeros(s, DType::i32); };
  std::vector<OpCall> ops;
  auto add_op = [&](std::string name, std::function<void()> f) { ops.push_back({name, f}); };
  add_op("accumulate_f64", [=] {
    Tensor acc = Tensor::zeros({2}, DType::f64);
    accumulate_f64(acc, r({2}));
  });
  add_op("activation_forward", [=] {
    Tensor y = r({4});
    activation_forward(Activation::relu, r({4}), y);
  });
  add_op("activation_backward", [=] {
    Tensor dx = r({4});
    activation_backward(Activation::relu, r({4}), r({4}), dx);
  });
  add_op("adam_step", [=] {
    Tensor p = r({4}), m = r({4}), v = r({4});
    adam_step(p, r({4}), m, v, AdamStepArgs{});
  });
  auto gate_tensors = [=] {
    GateTensors t;
    t.group = i({2});
    t.clean = r({2, 4});
    t.h = r({2, 4});
    t.probs = r({2, 4});
    t.top = i({2, 1});
    t.expert = i({2, 1});
    t.gate = r({2, 1});
    return t;
  };
  add_op("balance_loss_forward", [=] {
    Tensor values = r({kNumBalanceLosses}), none;
    balance_loss_forward(RouterGateOptions{}, BalanceCoefs{}, gate_tensors(), values, none);
  });
  add_op("balance_loss_backward", [=] {
    GateGrads g;
    g.dgate = r({2, 1});
    balance_loss_backward(RouterGateOptions{}, BalanceCoefs{}, gate_tensors(), 1.0, g);
  });
  add_op("beam_topk", [=] {
    Tensor values = r({2, 1}), indices = i({2, 1});
    beam_topk(r({2, 3}), r({2}), r({3}), 1, values, indices);
  });
  add_op("router_gate_forward", [=] {
    GateTensors t;
    t.group = i({2});
    t.clean = r({2, 4});
    router_gate_forward(RouterGateOptions{}, t);
  });
  add_op("router_gate_backward", [=] {
    GateGrads g;
    g.dgate = r({2, 1});
    Tensor dclean = r({2, 4}), draw;
    router_gate_backward(RouterGateOptions{}, gate_tensors(), g, dclean, draw);
  });
  add_op("router_entropy", [=] {
    Tensor out = r({1});
    router_entropy(r({2, 4}), out);
  });
  add_op("cross_entropy", [=] {
    Tensor stats = Tensor::zeros({kCrossEntropyStats}, DType::f64), none;
    cross_entropy_forward(r({2, 5}), i({2}), 0.f, -1, stats, none);
  });
  add_op("cross_entropy", [=] {
    Tensor dz = r({2, 5}), none;
    cross_entropy_backward(r({2, 5}), i({2}), 0.f, -1, 1.f, dz);
  });
  add_op("dropout_forward", [=] {
    Tensor y = r({4}), mask;
    dropout_forward(r({4}), 0.5f, RngStream{1, 2}, y, mask);
  });
  add_op("dropout_backward", [=] {
    Tensor dx = r({4});
    dropout_backward(r({4}), r({4}), dx);
  });
  add_op("dropout_backward", [=] {
    Tensor dx = r({4});
    dropout_backward(r({4}), 0.5f, RngStream{1, 2}, dx);
  });
  add_op("add", [=] {
    Tensor out = r({3});
    add(r({3}), r({3}), out);
  });
  add_op("add_inplace", [=] {
    Tensor y = r({3});
    add_inplace(y, r({3}));
  });
  add_op("mul", [=] {
    Tensor out = r({3});
    mul(r({3}), r({3}), out);
  });
  add_op("scale", [=] {
    Tensor x = r({3});
    scale(x, 2.f);
  });
  add_op("add_bias", [=] {
    Tensor y = r({2, 3});
    add_bias(y, r({3}));
  });
  add_op("bias_grad", [=] {
    Tensor db = r({3});
    bias_grad(r({2, 3}), db);
  });
  add_op("copy", [=] {
    Tensor dst = r({3});
    copy(r({3}), dst);
  });
  add_op("ema_update", [=] {
    Tensor avg = r({3});
    ema_update(avg, r({3}), 0.5f);
  });
  add_op("embedding_lookup", [=] {
    Tensor out = r({2, 3});
    embedding_lookup(i({2}), r({5, 3}), 1.f, out);
  });
  add_op("embedding_grad", [=] {
    Tensor dtable = r({5, 3});
    embedding_grad(i({2}), r({2, 3}), 1.f, dtable);
  });
  add_op("fill", [=] {
    Tensor x = r({3});
    fill(x, 1.f);
  });
  // The gemm family takes 16-bit inputs on the CPU too (widened to f32): CpuGemmWidensReduced.
  add_op("global_norm_sq", [=] {
    Tensor out = Tensor::zeros({1}, DType::f64);
    global_norm_sq(r({3}), out);
  });
  add_op("split_heads", [=] {
    Tensor y = r({1, 2, 3, 2});
    split_heads(r({1, 3, 4}), 2, y);
  });
  add_op("merge_heads", [=] {
    Tensor y = r({1, 3, 4});
    merge_heads(r({1, 2, 3, 2}), y);
  });
  add_op("concat_time", [=] {
    Tensor y = r({1, 2, 3, 2});
    concat_time(r({1, 2, 2, 2}), r({1, 2, 1, 2}), y);
  });
  add_op("layer_norm_forward", [=] {
    Tensor y = r({2, 3}), mean, rstd;
    layer_norm_forward(r({2, 3}), r({3}), r({3}), 1e-5f, y, mean, rstd);
  });
  add_op("layer_norm_backward", [=] {
    Tensor dx = r({2, 3}), dg = r({3}), db = r({3});
    layer_norm_backward(r({2, 3}), r({2, 3}), r({3}), r({2}), r({2}), dx, dg, db);
  });
  add_op("log_softmax", [=] {
    Tensor y = r({2, 3});
    log_softmax(r({2, 3}), y);
  });
  add_op("lstm_cell_forward", [=] {
    Tensor acts = r({1, 8}), h = r({1, 2}), c = r({1, 2}), y = r({1, 2}), none;
    lstm_cell_forward(r({1, 8}), r({1, 8}), r({1, 2}), r({1, 2}), none, 0, acts, h, c, y);
  });
  add_op("lstm_cell_backward", [=] {
    Tensor dg = r({1, 8}), dh = r({1, 2}), dc = r({1, 2}), none;
    lstm_cell_backward(r({1, 2}), r({1, 2}), r({1, 2}), r({1, 8}), r({1, 2}), r({1, 2}), none, 0,
                       dg, dh, dc);
  });
  add_op("moe_gate_scale", [=] {
    Tensor out = r({2, 1});
    moe_gate_scale(r({2, 1}), r({2}), out);
  });
  add_op("moe_gate_scale_backward", [=] {
    Tensor dg = r({2, 1}), ds = r({2});
    moe_gate_scale_backward(r({2, 1}), r({2, 1}), r({2}), dg, ds);
  });
  add_op("permute", [=] {
    Tensor out = r({2, 3}), none;
    permute(r({2, 3}), i({2, 1}), none, out);
  });
  add_op("unpermute_combine", [=] {
    Tensor out = r({2, 3}), none;
    unpermute_combine(r({2, 3}), i({2, 1}), none, out);
  });
  add_op("combine_weight_grad", [=] {
    Tensor dw = r({2, 1});
    combine_weight_grad(r({2, 3}), r({2, 3}), i({2, 1}), dw);
  });
  add_op("sinusoidal_positions", [=] {
    Tensor table = r({3, 4});
    sinusoidal_positions(table, 0);
  });
  add_op("sum", [=] { sum(r({3})); });
  add_op("sum_squares", [=] { sum_squares(r({3})); });
  add_op("row_sum", [=] {
    Tensor out = r({2});
    row_sum(r({2, 3}), out);
  });
  add_op("reverse_sequence", [=] {
    Tensor y = r({1, 2, 3});
    reverse_sequence(r({1, 2, 3}), i({1}), y);
  });
  add_op("softmax_forward", [=] {
    Tensor y = r({2, 3});
    softmax_forward(r({2, 3}), y);
  });
  add_op("softmax_backward", [=] {
    Tensor dx = r({2, 3});
    softmax_backward(r({2, 3}), r({2, 3}), dx);
  });
  add_op("topk", [=] {
    Tensor values = r({2, 1}), indices = i({2, 1});
    topk(r({2, 3}), 1, values, indices);
  });
  return ops;
}

TYPED_TEST(CpuRejectsReduced, EveryOpNamesOpDeviceAndDtype) {
  const DType dt = TypeParam::value;
  const std::string want_tail =
      std::string(" has no ") + dtype_name(dt) + " implementation on cpu (the CPU computes in f32";
  for (const OpCall& op : all_ops(dt)) {
    try {
      op.call();
      ADD_FAILURE() << op.name << " accepted " << dtype_name(dt) << " on the CPU";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind("op '" + op.name + "'" + want_tail, 0), 0u) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
}

TYPED_TEST(CpuRejectsReduced, CastRoundTrips) {
  const DType dt = TypeParam::value;
  // Values exact in both 16-bit formats come back unchanged; others within half an ulp.
  std::vector<float> exact = {0.f, 1.f, -2.f, 0.5f, 1.5f, -0.375f, 96.f, 0.0078125f};
  Tensor x = Tensor::from_vector(exact, {static_cast<int64_t>(exact.size())});
  Tensor h = Tensor::empty(x.shape(), dt), back = Tensor::empty(x.shape());
  cast(x, h);
  cast(h, back);
  EXPECT_EQ(back.to_vector(), exact);
  const double half_ulp = dt == DType::bf16 ? std::ldexp(1.0, -8) : std::ldexp(1.0, -11);
  std::vector<float> v = {0.1f, -3.14159f, 1234.5f, 2.7182818f};
  Tensor y = Tensor::from_vector(v, {4}), yh = Tensor::empty({4}, dt), yb = Tensor::empty({4});
  cast(y, yh);
  cast(yh, yb);
  auto got = yb.to_vector();
  for (size_t k = 0; k < v.size(); ++k)
    EXPECT_NEAR(got[k], v[k], half_ulp * std::abs(v[k])) << v[k];
  // The 16-bit tensor itself goes nowhere else on the CPU.
  Tensor out = Tensor::empty({4}, dt);
  EXPECT_THROW(add(yh, yh, out), Error);
}

// The CPU gemm family with 16-bit inputs computes exactly the f32 product of the rounded inputs
// (bit for bit: the same BLAS call after an exact widening), and its output stays f32.
TYPED_TEST(CpuRejectsReduced, CpuGemmWidensReduced) {
  const DType dt = TypeParam::value;
  RngStream rng{7, 1};
  uint64_t draw = 0;
  auto rounded_pair = [&](Shape s) {
    std::vector<float> v(static_cast<size_t>(s.numel()));
    for (float& x : v) x = rng.uniform(draw++) * 2.f - 1.f;
    Tensor f = Tensor::from_vector(v, s), h = Tensor::empty(s, dt), back = Tensor::empty(s);
    cast(f, h);
    cast(h, back);
    return std::make_pair(h, back);  // the 16-bit tensor and its exact f32 value
  };
  auto [a, af] = rounded_pair({5, 7});
  auto [b, bf] = rounded_pair({6, 7});
  Tensor c = Tensor::empty({5, 6}), want = Tensor::empty({5, 6});
  gemm(a, false, b, true, c);
  gemm(af, false, bf, true, want);
  EXPECT_EQ(c.to_vector(), want.to_vector());
  auto [a3, a3f] = rounded_pair({2, 3, 4});
  auto [b3, b3f] = rounded_pair({2, 4, 5});
  Tensor c3 = Tensor::empty({2, 3, 5}), want3 = Tensor::empty({2, 3, 5});
  gemm_batched(a3, false, b3, false, c3);
  gemm_batched(a3f, false, b3f, false, want3);
  EXPECT_EQ(c3.to_vector(), want3.to_vector());
  std::vector<GemmProblem> problems(1), ref(1);
  problems[0] = {a, b, Tensor::empty({5, 6})};
  ref[0] = {af, bf, Tensor::empty({5, 6})};
  gemm_grouped(problems, false, true);
  gemm_grouped(ref, false, true);
  EXPECT_EQ(problems[0].c.to_vector(), ref[0].c.to_vector());
  Tensor c16 = Tensor::empty({5, 6}, dt);
  EXPECT_THROW(gemm(a, false, b, true, c16), InternalError);  // the output is f32
  EXPECT_THROW(gemm(a, false, bf, true, c), InternalError);   // one input dtype
}

TEST(DTypeDispatch, MixedDtypesAndFixedTypesFail) {
  Tensor a = Tensor::zeros({3}), b = Tensor::zeros({3}, DType::bf16), out = Tensor::zeros({3});
  EXPECT_THROW(add(a, b, out), InternalError);  // one compute dtype per call
  Tensor ids = Tensor::zeros({2}), table = Tensor::zeros({5, 3}), rows = Tensor::zeros({2, 3});
  try {
    embedding_lookup(ids, table, 1.f, rows);  // ids must be i32
    ADD_FAILURE() << "f32 ids accepted";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("op 'embedding_lookup': ids is f32, expected i32"),
              std::string::npos)
        << e.what();
  }
  // The contract itself: f32 everywhere; cast takes the storage types on both devices.
  EXPECT_TRUE(kF32Only.allows(Device::cpu(), DType::f32));
  EXPECT_FALSE(kF32Only.allows(Device::cuda(0), DType::bf16));
  EXPECT_TRUE(kFloatStorage.allows(Device::cpu(), DType::f16));
  EXPECT_THROW(check_dtype("x", Device::cuda(0), DType::bf16, kF32Only), Error);
}

}  // namespace
}  // namespace moemt::ops
