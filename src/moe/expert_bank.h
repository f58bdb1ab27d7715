// ExpertBank: a set of feed-forward experts (x W1 + b1 -> activation -> W2 + b2), run as one
// GEMM per expert over that expert's contiguous rows (routed experts) or over all rows
// (shared experts). Hidden activations of all experts live in one buffer; each expert runs
// GEMM, activation and GEMM (and their backward) back to back while its rows are in cache.
// Expert gradients are zeroed lazily (ParamStore::set_lazy_grad): each step's first backward
// overwrites them.
#pragma once

#include <string>
#include <vector>

#include "core/param_store.h"
#include "core/tensor.h"
#include "ops/activation.h"

namespace moemt::moe {

// How the per-expert GEMMs use the CPU threads: each GEMM threaded inside BLAS, or one
// single-threaded GEMM per expert with experts spread over threads, or chosen per call.
enum class ExpertParallelism : uint8_t { automatic, inside_gemm, across_experts };

class ExpertBank {
 public:
  // Registers `<name>.<e>.{w1 (D,F), b1 (F), w2 (F,D), b2 (D)}` for e in [0, num), or only for
  // the experts with kept[e] when `kept` is given (sub-models: absent experts must get no
  // rows).
  ExpertBank(ParamStore& ps, const std::string& name, int num, int64_t d_model, int64_t d_ff,
             ops::Activation act, ParamGroup group, const std::vector<bool>& kept = {});

  int size() const { return num_; }
  int64_t d_ff() const { return d_ff_; }

  // Routed: xp (M, D) holds expert e's rows at [offsets[e], offsets[e+1]). Returns y (M, D).
  Tensor forward_grouped(const Tensor& xp, const std::vector<int64_t>& offsets);
  // Shared: every expert sees all rows of x (N, D); y (N, D) += sum over experts.
  void forward_all(const Tensor& x, Tensor& y);
  // Backward of the last forward call: dy has its output's shape. Returns dx (the input's
  // shape) and accumulates parameter gradients.
  Tensor backward(const Tensor& dy);

  void set_parallelism(ExpertParallelism p) { parallel_ = p; }

  struct Weights {
    Param w1, b1, w2, b2;
  };
  const Weights& expert(int e) const { return experts_[e]; }

 private:
  struct Job {
    int expert;
    int64_t in_row, rows;  // rows [in_row, in_row + rows) of the input and output
    int64_t hid_row;       // rows of the hidden buffers
  };
  void run_forward(const Tensor& x, Tensor& y, float beta);
  void forward_job(const Job& j, const Tensor& x, Tensor& y, float beta);
  void backward_job(const Job& j, const Tensor& dy, Tensor& da, Tensor& dx, float dx_beta);
  bool across_experts() const;

  int num_;
  int64_t d_model_, d_ff_;
  ops::Activation act_;
  std::vector<Weights> experts_;
  // Saved by forward.
  std::vector<Job> jobs_;
  Tensor x_, h_, a_;
  bool shared_ = false;
  ExpertParallelism parallel_ = ExpertParallelism::automatic;
};

}  // namespace moemt::moe
