// LSTM and bidirectional LSTM forward/backward through time; see lstm.h.
#include "nn/lstm.h"

#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/fill.h"
#include "ops/gemm.h"
#include "ops/heads.h"
#include "ops/lstm_cell.h"
#include "ops/reverse_sequence.h"

namespace moemt::nn {

// (B,T,D) seen as (1, B, T*D) with T "heads" of size D: split_heads gives (1,T,B,D).
Tensor to_time_major(const Tensor& x) {
  const int64_t b = x.size(0), t = x.size(1), d = x.size(2);
  Tensor y = Tensor::empty({1, t, b, d}, DType::f32, x.device());
  ops::split_heads(x.reshape({1, b, t * d}), t, y);
  return y.reshape({t, b, d});
}

// (T,B,D) seen as (1, T, B, D) heads: merge_heads gives (1, B, T*D).
Tensor to_batch_major(const Tensor& x) {
  const int64_t t = x.size(0), b = x.size(1), d = x.size(2);
  Tensor y = Tensor::empty({1, b, t * d}, DType::f32, x.device());
  ops::merge_heads(x.reshape({1, t, b, d}), y);
  return y.reshape({b, t, d});
}

// [a ; b] stacked as (1, 2, B*T, D) heads merge into (1, B*T, 2D).
Tensor concat_features(const Tensor& a, const Tensor& b) {
  const int64_t n = a.size(0) * a.size(1), d = a.size(2);
  MOEMT_CHECK(b.shape() == a.shape(), "concat_features: {} and {}", a.shape().str(),
              b.shape().str());
  Tensor stack = Tensor::empty({2, n, d}, DType::f32, a.device());
  Tensor s0 = stack.narrow(0, 1), s1 = stack.narrow(1, 1);
  ops::copy(a, s0);
  ops::copy(b, s1);
  Tensor y = Tensor::empty({1, n, 2 * d}, DType::f32, a.device());
  ops::merge_heads(stack.reshape({1, 2, n, d}), y);
  return y.reshape({a.size(0), a.size(1), 2 * d});
}

void split_features(const Tensor& x, Tensor& a, Tensor& b) {
  const int64_t n = x.size(0) * x.size(1), d = x.size(2) / 2;
  Tensor stack = Tensor::empty({1, 2, n, d}, DType::f32, x.device());
  ops::split_heads(x.reshape({1, n, 2 * d}), 2, stack);
  Tensor s = stack.reshape({2, n, d});
  a = s.narrow(0, 1).reshape({x.size(0), x.size(1), d});
  b = s.narrow(1, 1).reshape({x.size(0), x.size(1), d});
}

// (B,D) variational dropout mask: 0 or 1/(1-p) per element, from ctx's next random stream.
Tensor variational_mask(Ctx& ctx, int64_t b, int64_t d, float p, Device dev) {
  Tensor m = Tensor::empty({b, d}, DType::f32, dev), none;
  ops::fill(m, 1.f);
  ops::dropout_forward(m, p, ctx.next_rng(), m, none);
  return m;
}

Lstm::Lstm(ParamStore& store, const std::string& name, const LstmConfig& cfg) : cfg_(cfg) {
  MOEMT_CHECK(cfg.in > 0 && cfg.hidden > 0, "Lstm '{}' needs positive sizes, got {}x{}", name,
              cfg.in, cfg.hidden);
  MOEMT_CHECK(cfg.dropout >= 0.f && cfg.dropout < 1.f, "Lstm '{}': dropout {} not in [0, 1)", name,
              cfg.dropout);
  MOEMT_CHECK(cfg.depth >= 1, "Lstm '{}': depth {} < 1", name, cfg.depth);
  w = store.add(name + ".W", {cfg.in, 4 * cfg.hidden}, InitSpec::Xavier());
  u = store.add(name + ".U", {cfg.hidden, 4 * cfg.hidden}, InitSpec::Xavier());
  b = store.add(name + ".b", {4 * cfg.hidden}, InitSpec::Zeros());
  for (int j = 2; j <= cfg.depth; ++j) {
    const std::string cell = name + ".cell" + std::to_string(j);
    tu.push_back(store.add(cell + ".U", {cfg.hidden, 4 * cfg.hidden}, InitSpec::Xavier()));
    tb.push_back(store.add(cell + ".b", {4 * cfg.hidden}, InitSpec::Zeros()));
  }
}

namespace {
// (T,B,D) -> the (B,D) slice of step k.
Tensor step_of(const Tensor& v, int64_t k) {
  return v.narrow(k, 1).reshape({v.size(1), v.size(2)});
}

// Where cell j of step k reads and writes in one forward's saved state: cell 0 reads the layer
// state of step k-1, cell j > 0 the state cell j-1 wrote at step k; the last cell writes the
// layer state of step k. hu is the state that meets U_j (h_in, or its dropped copy).
struct CellIo {
  Tensor h_in, c_in, h_out, c_out, acts, hu, mask;
};
CellIo cell_io(const LstmSaved& s, int j, int depth, int64_t k) {
  CellIo io;
  const bool last = j == depth - 1;
  io.h_in = j == 0 ? step_of(s.h, k) : step_of(s.t_h[j - 1], k);
  io.c_in = j == 0 ? step_of(s.c, k) : step_of(s.t_c[j - 1], k);
  io.h_out = last ? step_of(s.h, k + 1) : step_of(s.t_h[j], k);
  io.c_out = last ? step_of(s.c, k + 1) : step_of(s.t_c[j], k);
  io.acts = j == 0 ? step_of(s.acts, k) : step_of(s.t_acts[j - 1], k);
  io.hu = io.h_in;
  if (s.mask_h.defined()) {
    io.mask = j == 0 ? s.mask_h : s.t_mask[j - 1];
    io.hu = j == 0 ? step_of(s.hd, k) : step_of(s.t_hd[j - 1], k);
  }
  return io;
}
}  // namespace

// x (B,T,In) -> y (B,T,H)
LstmOutput Lstm::forward(Ctx& ctx, const Tensor& x, const Tensor& lengths) const {
  MOEMT_CHECK(x.rank() == 3 && x.size(2) == cfg_.in, "Lstm: input {} for in={}", x.shape().str(),
              cfg_.in);
  const int64_t bsz = x.size(0), t = x.size(1), h = cfg_.hidden;
  const int depth = cfg_.depth;
  const Device dev = x.device();
  const bool drop = ctx.training && cfg_.dropout > 0.f;
  auto empty = [&](std::initializer_list<int64_t> shape) {
    return Tensor::empty(Shape(shape), DType::f32, dev);
  };
  LstmOutput out;
  LstmSaved& s = out.saved;
  s.lengths = lengths;
  s.x = to_time_major(x);  // (T,B,In)
  if (drop) {
    // One mask per sentence for all steps: x_k <- x_k * mask_x (s.x is our own copy).
    s.mask_x = variational_mask(ctx, bsz, cfg_.in, cfg_.dropout, dev);
    s.mask_h = variational_mask(ctx, bsz, h, cfg_.dropout, dev);
    s.hd = empty({t, bsz, h});
    for (int64_t k = 0; k < t; ++k) {
      Tensor xk = step_of(s.x, k);
      ops::mul(xk, s.mask_x, xk);
    }
  }
  for (int j = 1; j < depth; ++j) {
    s.t_acts.push_back(empty({t, bsz, 4 * h}));
    s.t_h.push_back(empty({t, bsz, h}));
    s.t_c.push_back(empty({t, bsz, h}));
    if (drop) {
      s.t_mask.push_back(variational_mask(ctx, bsz, h, cfg_.dropout, dev));
      s.t_hd.push_back(empty({t, bsz, h}));
    }
  }
  // Input projection of every step at once: gx = x · W + b, (T*B, 4H).
  Tensor gx = empty({t, bsz, 4 * h});
  Tensor gx2 = gx.reshape({t * bsz, 4 * h});
  ops::gemm(s.x.reshape({t * bsz, cfg_.in}), false, w.w(), false, gx2);
  ops::add_bias(gx2, b.w());
  s.acts = empty({t, bsz, 4 * h});
  s.h = empty({t + 1, bsz, h});
  s.c = empty({t + 1, bsz, h});
  Tensor h0 = s.h.narrow(0, 1), c0 = s.c.narrow(0, 1);
  ops::zero(h0);
  ops::zero(c0);
  Tensor ys = empty({t, bsz, h});
  Tensor gh = empty({bsz, 4 * h});
  // Transition cells have no input term, and only the last cell's output is the layer's.
  Tensor no_gx = depth > 1 ? Tensor::zeros({bsz, 4 * h}, DType::f32, dev) : Tensor();
  Tensor y_unused = depth > 1 ? empty({bsz, h}) : Tensor();
  for (int64_t k = 0; k < t; ++k)
    for (int j = 0; j < depth; ++j) {
      CellIo io = cell_io(s, j, depth, k);
      if (drop) ops::mul(io.h_in, io.mask, io.hu);                         // hu = h_in * mask
      ops::gemm(io.hu, false, j == 0 ? u.w() : tu[j - 1].w(), false, gh);  // gh = hu · U_j
      if (j > 0) ops::add_bias(gh, tb[j - 1].w());
      Tensor yk = j == depth - 1 ? step_of(ys, k) : y_unused;
      ops::lstm_cell_forward(j == 0 ? step_of(gx, k) : no_gx, gh, io.h_in, io.c_in, lengths, k,
                             io.acts, io.h_out, io.c_out, yk);
    }
  out.y = to_batch_major(ys);
  return out;
}

// dy (B,T,H) -> dx (B,T,In)
Tensor Lstm::backward(Ctx& ctx, const Tensor& dy, const LstmSaved& s) const {
  const int64_t t = s.x.size(0), bsz = s.x.size(1), h = cfg_.hidden;
  MOEMT_CHECK(dy.rank() == 3 && dy.size(0) == bsz && dy.size(1) == t && dy.size(2) == h,
              "Lstm::backward: dy {} for T={} B={} H={}", dy.shape().str(), t, bsz, h);
  const int depth = cfg_.depth;
  const Device dev = dy.device();
  const bool drop = s.mask_h.defined();
  Tensor dys = to_time_major(dy);
  // Gate gradients per cell: da (T,B,4H) of cell 0, t_da[j-1] of transition cell j.
  Tensor da = Tensor::empty({t, bsz, 4 * h}, DType::f32, dev);
  std::vector<Tensor> t_da;
  for (int j = 1; j < depth; ++j) t_da.push_back(Tensor::empty({t, bsz, 4 * h}, DType::f32, dev));
  Tensor dh = Tensor::zeros({bsz, h}, DType::f32, dev),
         dc = Tensor::zeros({bsz, h}, DType::f32, dev);
  Tensor dhu = drop ? Tensor::empty({bsz, h}, DType::f32, dev) : Tensor();
  Tensor no_dy = depth > 1 ? Tensor::zeros({bsz, h}, DType::f32, dev) : Tensor();
  for (int64_t k = t - 1; k >= 0; --k)
    for (int j = depth - 1; j >= 0; --j) {
      // Cell j read (h_in, c_in) and wrote (h_out, c_out) (and y_k when last); dh, dc carry
      // the gradient of (h_out, c_out) and become that of (h_in, c_in).
      CellIo io = cell_io(s, j, depth, k);
      Tensor dak = step_of(j == 0 ? da : t_da[j - 1], k);
      ops::lstm_cell_backward(j == depth - 1 ? step_of(dys, k) : no_dy, dh, dc, io.acts, io.c_in,
                              io.c_out, s.lengths, k, dak, dh, dc);
      const Tensor& uj = j == 0 ? u.w() : tu[j - 1].w();
      if (drop) {
        // gh = (h_in * mask) · U_j, so dh += (da · U_jᵀ) * mask.
        ops::gemm(dak, false, uj, true, dhu);
        ops::mul(dhu, io.mask, dhu);
        ops::add_inplace(dh, dhu);
      } else {
        ops::gemm(dak, false, uj, true, dh, 1.f, 1.f);  // gh = h_in · U_j, so dh += da · U_jᵀ
      }
    }
  // gx = x · W + b and gh = hu · U_j (+ b_j) over all steps: one GEMM each for the weights (x
  // and hu as the GEMMs saw them, i.e. after dropout).
  Tensor da2 = da.reshape({t * bsz, 4 * h});
  Tensor gw = w.g(), gu = u.g(), gb = b.g();
  const Tensor hu = drop ? s.hd : s.h.narrow(0, t);
  ops::gemm(s.x.reshape({t * bsz, cfg_.in}), true, da2, false, gw, 1.f, 1.f);
  ops::gemm(hu.reshape({t * bsz, h}), true, da2, false, gu, 1.f, 1.f);
  ops::bias_grad(da2, gb);
  for (int j = 1; j < depth; ++j) {
    Tensor daj = t_da[j - 1].reshape({t * bsz, 4 * h}), guj = tu[j - 1].g(), gbj = tb[j - 1].g();
    const Tensor& huj = drop ? s.t_hd[j - 1] : s.t_h[j - 1];
    ops::gemm(huj.reshape({t * bsz, h}), true, daj, false, guj, 1.f, 1.f);
    ops::bias_grad(daj, gbj);
  }
  Tensor dx = Tensor::empty({t, bsz, cfg_.in}, DType::f32, dev);
  Tensor dx2 = dx.reshape({t * bsz, cfg_.in});
  ops::gemm(da2, false, w.w(), true, dx2);
  if (drop)  // forward was x_k <- x_k * mask_x
    for (int64_t k = 0; k < t; ++k) {
      Tensor dxk = step_of(dx, k);
      ops::mul(dxk, s.mask_x, dxk);
    }
  return to_batch_major(dx);
}

Tensor Lstm::step(const Tensor& x, Tensor& h, Tensor& c) const {
  const int64_t bsz = x.size(0), hd = cfg_.hidden;
  const Device dev = x.device();
  Tensor gx = Tensor::empty({bsz, 4 * hd}, DType::f32, dev);
  ops::gemm(x, false, w.w(), false, gx);
  ops::add_bias(gx, b.w());
  Tensor gh = Tensor::empty({bsz, 4 * hd}, DType::f32, dev);
  ops::gemm(h, false, u.w(), false, gh);
  Tensor acts = Tensor::empty({bsz, 4 * hd}, DType::f32, dev);
  Tensor hn = Tensor::empty({bsz, hd}, DType::f32, dev),
         cn = Tensor::empty({bsz, hd}, DType::f32, dev);
  Tensor y = Tensor::empty({bsz, hd}, DType::f32, dev);
  ops::lstm_cell_forward(gx, gh, h, c, Tensor(), 0, acts, hn, cn, y);
  if (cfg_.depth > 1) ops::zero(gx);  // transition cells: gates = h · U_j + b_j
  for (int j = 1; j < cfg_.depth; ++j) {
    ops::gemm(hn, false, tu[j - 1].w(), false, gh);
    ops::add_bias(gh, tb[j - 1].w());
    ops::lstm_cell_forward(gx, gh, hn, cn, Tensor(), 0, acts, hn, cn, y);
  }
  h = hn;
  c = cn;
  return y;
}

BiLstm::BiLstm(ParamStore& store, const std::string& name, const LstmConfig& cfg)
    : fw_(store, name + ".fw", cfg), bw_(store, name + ".bw", cfg) {}

// x (B,T,In) -> [fw(x) | reverse(bw(reverse(x)))] (B,T,2H)
BiLstmOutput BiLstm::forward(Ctx& ctx, const Tensor& x, const Tensor& lengths) const {
  MOEMT_CHECK(lengths.defined(), "BiLstm needs the sentence lengths");
  BiLstmOutput out;
  LstmOutput f = fw_.forward(ctx, x, lengths);
  Tensor xr = Tensor::empty(x.shape(), DType::f32, x.device());
  ops::reverse_sequence(x, lengths, xr);
  LstmOutput b = bw_.forward(ctx, xr, lengths);
  Tensor yb = Tensor::empty(b.y.shape(), DType::f32, x.device());
  ops::reverse_sequence(b.y, lengths, yb);
  out.y = concat_features(f.y, yb);
  out.saved.fw = std::move(f.saved);
  out.saved.bw = std::move(b.saved);
  return out;
}

// dy (B,T,2H) -> dx (B,T,In)
Tensor BiLstm::backward(Ctx& ctx, const Tensor& dy, const BiLstmSaved& s) const {
  Tensor dyf, dyb;
  split_features(dy, dyf, dyb);
  const Tensor& lengths = s.fw.lengths;
  Tensor dx = fw_.backward(ctx, dyf, s.fw);
  // Forward was yb = reverse(bw(reverse(x))); reverse_sequence is its own backward.
  Tensor dybr = Tensor::empty(dyb.shape(), DType::f32, dy.device());
  ops::reverse_sequence(dyb, lengths, dybr);
  Tensor dxr = bw_.backward(ctx, dybr, s.bw);
  Tensor dxb = Tensor::empty(dxr.shape(), DType::f32, dy.device());
  ops::reverse_sequence(dxr, lengths, dxb);
  ops::add_inplace(dx, dxb);
  return dx;
}

}  // namespace moemt::nn
