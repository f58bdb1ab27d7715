// LSTM layers with explicit forward/backward through time: the input projection of all steps
// is one GEMM, each step is the recurrent GEMM plus the fused cell op (ops/lstm_cell.h), and
// backward runs the steps in reverse, then the weight gradients as one GEMM each. What backward
// needs is returned by forward (LstmSaved), so a layer can run several times before a backward.
#pragma once

#include <string>
#include <vector>

#include "core/param_store.h"
#include "core/tensor.h"
#include "nn/ctx.h"

namespace moemt::nn {

struct LstmConfig {
  int64_t in = 0, hidden = 0;
  // Variational dropout (Gal & Ghahramani 2016; Marian's --dropout-rnn), training mode only: one
  // mask per sentence on the input and one on the recurrent state fed to U, the same at every
  // time step. The cell state c is never dropped.
  float dropout = 0.f;
  // Cells per time step (deep transition, Barone et al. 2017; Marian's --enc-cell-depth): the
  // first reads the input and the previous step's state, each further ("transition") cell only
  // the state the cell before it wrote, gates = h · U_j + b_j; the last one's state is the
  // step's state and output. Transition cells get their own recurrent dropout mask.
  int depth = 1;
};

// One forward call's state for its backward (time-major internally).
struct LstmSaved {
  Tensor x;        // (T,B,In) the input
  Tensor acts;     // (T,B,4H) activated gates
  Tensor h, c;     // (T+1,B,H) states; slot 0 is the (zero) initial state
  Tensor lengths;  // i32 (B), or undefined when every position is valid
  // With dropout (else undefined): the masks, 0 or 1/(1-p), input (B,In) and state (B,H); x
  // then holds the dropped input and hd (T,B,H) the dropped states h_{k-1} that met U.
  Tensor mask_x, mask_h, hd;
  // Transition cells (depth > 1), index j-1 for cell j: t_acts (T,B,4H) their gates; t_h, t_c
  // (T,B,H) the state cell j-1 wrote (index j-1, cells 0..depth-2); with dropout t_mask (B,H)
  // and t_hd (T,B,H) the dropped state that met U_j.
  std::vector<Tensor> t_acts, t_h, t_c, t_mask, t_hd;
};

struct LstmOutput {
  Tensor y;  // (B,T,H), 0 at padded positions
  LstmSaved saved;
};

class Lstm {
 public:
  Lstm() = default;
  // Registers `name.W` (in, 4H) and `name.U` (H, 4H) (Xavier) and `name.b` (4H) (zeros); gates
  // in the order [i | f | g | o]. Transition cell j (2..depth): `name.cellj.U`, `name.cellj.b`.
  Lstm(ParamStore& store, const std::string& name, const LstmConfig& cfg);

  // x (B,T,In) -> y (B,T,H) from a zero initial state. lengths i32 (B) or undefined (all
  // valid): past its length a row keeps its state and outputs 0. Draws its dropout masks from
  // ctx when ctx.training and dropout > 0.
  LstmOutput forward(Ctx& ctx, const Tensor& x, const Tensor& lengths) const;
  // dy (B,T,H) -> dx (B,T,In); accumulates the gradients of W, U and b.
  Tensor backward(Ctx& ctx, const Tensor& dy, const LstmSaved& saved) const;

  // One decoding step (inference, no dropout): x (B,In), state h, c (B,H) replaced by the next
  // state; returns h.
  Tensor step(const Tensor& x, Tensor& h, Tensor& c) const;

  const LstmConfig& config() const { return cfg_; }
  Param w, u, b;
  std::vector<Param> tu, tb;  // transition cells 2..depth (index j-1 for cell j)

 private:
  LstmConfig cfg_;
};

// Bidirectional LSTM: a forward LSTM over x and a backward one over each sentence reversed
// within its length; outputs concatenated as [forward | backward] (B,T,2H).
struct BiLstmSaved {
  LstmSaved fw, bw;
};
struct BiLstmOutput {
  Tensor y;  // (B,T,2H)
  BiLstmSaved saved;
};

class BiLstm {
 public:
  // Registers `name.fw.*` and `name.bw.*` (see Lstm).
  BiLstm(ParamStore& store, const std::string& name, const LstmConfig& cfg);
  // x (B,T,In), lengths i32 (B) (needed: it defines the reversal) -> (B,T,2H).
  BiLstmOutput forward(Ctx& ctx, const Tensor& x, const Tensor& lengths) const;
  // dy (B,T,2H) -> dx (B,T,In).
  Tensor backward(Ctx& ctx, const Tensor& dy, const BiLstmSaved& saved) const;

  const Lstm& fw() const { return fw_; }
  const Lstm& bw() const { return bw_; }

 private:
  Lstm fw_, bw_;
};

// (B,D) variational dropout mask (0 or 1/(1-p)) from ctx's next random stream.
Tensor variational_mask(Ctx& ctx, int64_t b, int64_t d, float p, Device dev);

// Layout helpers (permutations through ops::split_heads/merge_heads): (B,T,D) <-> (T,B,D), and
// concatenation of two (B,T,D) tensors along features and its inverse.
Tensor to_time_major(const Tensor& x);
Tensor to_batch_major(const Tensor& x);
Tensor concat_features(const Tensor& a, const Tensor& b);    // (B,T,Da) + (B,T,Db), Da == Db
void split_features(const Tensor& x, Tensor& a, Tensor& b);  // (B,T,2D) -> two (B,T,D)

}  // namespace moemt::nn
