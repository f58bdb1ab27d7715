// ExpertBank: a set of feed-forward experts (x W1 + b1 -> activation -> W2 + b2), run as one
// GEMM per expert over that expert's contiguous rows (routed experts) or over all rows
// (shared experts). Hidden activations of all experts live in one buffer; each expert runs
// GEMM, activation and GEMM (and their backward) back to back while its rows are in cache.
// On a GPU the same computation runs as one grouped GEMM per projection over all experts
// (ExpertGemm::grouped, expert_bank_grouped.cc): per-expert launches would leave the device
// idle between small GEMMs. The CPU keeps the per-expert form, threaded across experts.
// Expert gradients are zeroed lazily (ParamStore::set_lazy_grad): each step's first backward
// overwrites them. What backward needs is saved per call (Saved), so a bank may run several
// times before its backwards.
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

// Which formulation runs the expert GEMMs: automatic is per_expert on the CPU and grouped on
// other devices. Forcing grouped on the CPU (tests, benchmarks) runs ops::gemm_grouped's loop.
enum class ExpertGemm : uint8_t { automatic, per_expert, grouped };

class ExpertBank {
 public:
  // Registers `<name>.<e>.{w1 (D,F), b1 (F), w2 (F,D), b2 (D)}` for e in [0, num), or only for
  // the experts with kept[e] when `kept` is given (sub-models: absent experts must get no
  // rows).
  ExpertBank(ParamStore& ps, const std::string& name, int num, int64_t d_model, int64_t d_ff,
             ops::Activation act, ParamGroup group, const std::vector<bool>& kept = {});

  int size() const { return num_; }
  int64_t d_ff() const { return d_ff_; }

  // One expert's rows: [in_row, in_row + rows) of the input and output, and of the hidden
  // buffers from hid_row.
  struct Job {
    int expert;
    int64_t in_row, rows;
    int64_t hid_row;
  };
  // What backward needs from one forward call: the jobs, the input and the hidden
  // activations before (h) and after (a) the activation function.
  struct Saved {
    std::vector<Job> jobs;
    Tensor x, h, a;
    // x and a as the GEMMs read them: the same tensors in f32, their bf16 casts under mixed
    // precision (nn/precision.h).
    Tensor xc, ac;
    bool shared = false;
  };

  // Routed: xp (M, D) holds expert e's rows at [offsets[e], offsets[e+1]). Returns y (M, D).
  Tensor forward_grouped(const Tensor& xp, const std::vector<int64_t>& offsets, Saved& saved);
  // Shared: every expert sees all rows of x (N, D); y (N, D) += sum over experts.
  void forward_all(const Tensor& x, Tensor& y, Saved& saved);
  // Backward of the forward call that filled `saved`: dy has its output's shape. Returns dx
  // (the input's shape) and accumulates parameter gradients.
  Tensor backward(const Tensor& dy, const Saved& saved);
  // Single-use forms: the state of the last forward is kept in the bank.
  Tensor forward_grouped(const Tensor& xp, const std::vector<int64_t>& offsets) {
    return forward_grouped(xp, offsets, last_);
  }
  void forward_all(const Tensor& x, Tensor& y) { forward_all(x, y, last_); }
  Tensor backward(const Tensor& dy) { return backward(dy, last_); }

  void set_parallelism(ExpertParallelism p) { parallel_ = p; }
  void set_gemm(ExpertGemm g) { gemm_ = g; }

  struct Weights {
    Param w1, b1, w2, b2;
  };
  const Weights& expert(int e) const { return experts_[e]; }

 private:
  void run_forward(const Tensor& x, Tensor& y, float beta, Saved& s);
  void forward_job(const Job& j, const Saved& s, Tensor& y, float beta);
  // dyc and dac: dy and da in the GEMMs' input dtype (the same tensors in f32).
  void backward_job(const Job& j, const Saved& s, const Tensor& dy, const Tensor& dyc, Tensor& da,
                    Tensor& dac, Tensor& dx, float dx_beta);
  bool across_experts(const std::vector<Job>& jobs) const;
  bool grouped(const Device& d) const;
  // The grouped formulation (expert_bank_grouped.cc): the same math as forward_job /
  // backward_job over all jobs, one ops::gemm_grouped call per projection.
  void forward_grouped_gemm(Tensor& y, float beta, Saved& s);
  void backward_grouped_gemm(const Tensor& dy, const Tensor& dyc, const Saved& s, Tensor& da,
                             Tensor& dac, Tensor& dx);
  // The GEMMs' input dtype: the store's compute dtype (bf16 under mixed precision).
  DType compute_dtype() const;

  int num_;
  int64_t d_model_, d_ff_;
  ops::Activation act_;
  std::vector<Weights> experts_;
  Saved last_;
  ExpertParallelism parallel_ = ExpertParallelism::automatic;
  ExpertGemm gemm_ = ExpertGemm::automatic;
};

}  // namespace moemt::moe
