// bench_moe: layer-level MoE benchmarks, one JSON line per measure.
//   moe_vs_dense: MoeLayer forward+backward vs a dense feed-forward block with the same active
//                 FLOPs (one FFN of width k * expert_d_ff), both on the same GEMM code.
//   experts_scaling: MoeLayer train step (zero_grad, forward+backward and the trainer's Adam
//                 update of the layer's parameters) for E = 4..64 at fixed k and expert size.
//                 The whole-model version is src/train/bench/bench_train_step.cc.
// Usage: bench_moe [--tokens N] [--d-model D] [--d-ff F] [--k K] [--experts E] [--reps R]
//                  [--threads T] [--mode moe_vs_dense|experts_scaling|all] [--experts-list 4,8]
//                  [--expert-gemm auto|per_expert|grouped] (grouped: the GPU's formulation)
//                  [--device cpu|cuda:N] (scripts/gpu/check.sh: moe_vs_dense on cuda:0)
// On a GPU every timed call ends with a stream synchronisation, so times are wall times of
// finished work.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/cuda_runtime.h"
#include "core/threads.h"
#include "moe/expert_bank.h"
#include "moe/moe_layer.h"
#include "nn/gradcheck.h"
#include "train/optimizer.h"

using namespace moemt;

namespace {

struct Args {
  int64_t tokens = 4096, d_model = 512, d_ff = 1024;
  int k = 2, experts = 8, reps = 5, warmup = 2, threads = 0;
  std::string mode = "all";
  moe::ExpertParallelism parallel = moe::ExpertParallelism::automatic;
  moe::ExpertGemm gemm = moe::ExpertGemm::automatic;
  std::string gemm_name = "auto";
  std::vector<int> experts_list = {4, 8, 16, 32, 64};
  Device device = Device::cpu();
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_moe: %s needs a value\n", f.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (f == "--tokens")
      a.tokens = std::stoll(next());
    else if (f == "--d-model")
      a.d_model = std::stoll(next());
    else if (f == "--d-ff")
      a.d_ff = std::stoll(next());
    else if (f == "--k")
      a.k = std::stoi(next());
    else if (f == "--experts")
      a.experts = std::stoi(next());
    else if (f == "--reps")
      a.reps = std::stoi(next());
    else if (f == "--warmup")
      a.warmup = std::stoi(next());
    else if (f == "--threads")
      a.threads = std::stoi(next());
    else if (f == "--mode")
      a.mode = next();
    else if (f == "--device") {
      try {
        a.device = parse_device(next());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_moe: --device: %s\n", e.what());
        std::exit(2);
      }
    } else if (f == "--expert-parallel") {
      std::string v = next();
      a.parallel = v == "inside"   ? moe::ExpertParallelism::inside_gemm
                   : v == "across" ? moe::ExpertParallelism::across_experts
                                   : moe::ExpertParallelism::automatic;
    } else if (f == "--expert-gemm") {
      a.gemm_name = next();
      a.gemm = a.gemm_name == "per_expert" ? moe::ExpertGemm::per_expert
               : a.gemm_name == "grouped"  ? moe::ExpertGemm::grouped
                                           : moe::ExpertGemm::automatic;
    } else if (f == "--experts-list") {
      a.experts_list.clear();
      std::string s = next();
      for (size_t p = 0; p < s.size();) {
        size_t q = s.find(',', p);
        a.experts_list.push_back(std::stoi(s.substr(p, q - p)));
        p = q == std::string::npos ? s.size() : q + 1;
      }
    } else {
      std::fprintf(stderr, "bench_moe: unknown flag %s\n", f.c_str());
      std::exit(2);
    }
  }
  return a;
}

const char* parallel_name(moe::ExpertParallelism p) {
  switch (p) {
    case moe::ExpertParallelism::automatic:
      return "auto";
    case moe::ExpertParallelism::inside_gemm:
      return "inside";
    case moe::ExpertParallelism::across_experts:
      return "across";
  }
  return "?";
}

// Waits for the work queued on the device (nothing on the CPU, whose ops return finished).
void sync(Device dev) {
  if (!dev.is_cpu()) cuda_synchronize(current_stream(dev));
}

// A host tensor on the benchmark's device.
Tensor on(const Args& a, const Tensor& host) {
  return a.device.is_cpu() ? host : host.to(a.device);
}

// Median wall time in ms of fn over reps runs after warmup runs.
double median_ms(const Args& a, const std::function<void()>& fn) {
  for (int i = 0; i < a.warmup; ++i) fn(), sync(a.device);
  std::vector<double> t;
  for (int i = 0; i < a.reps; ++i) {
    auto s = std::chrono::steady_clock::now();
    fn();
    sync(a.device);
    t.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Runs a and b alternately (a b a b ...) so that load changes on a shared machine hit both
// alike. Returns {median ms of a, median ms of b, median of the per-pair ratios b / a}.
struct Paired {
  double a_ms, b_ms, ratio;
};
Paired paired(const Args& args, const std::function<void()>& a, const std::function<void()>& b) {
  for (int i = 0; i < args.warmup; ++i) a(), b(), sync(args.device);
  std::vector<double> ta, tb, r;
  auto time = [&](const std::function<void()>& fn) {
    auto s = std::chrono::steady_clock::now();
    fn();
    sync(args.device);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count();
  };
  for (int i = 0; i < args.reps; ++i) {
    ta.push_back(time(a));
    tb.push_back(time(b));
    r.push_back(tb.back() / ta.back());
  }
  auto med = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  return {med(ta), med(tb), med(r)};
}

// Forward+backward FLOPs of an FFN over `rows` rows: 3 GEMM passes (fwd, dx, dW) x 2 GEMMs.
double ffn_flops(int64_t rows, int64_t d, int64_t f) { return 3.0 * 2 * 2.0 * rows * d * f; }

moe::MoeConfig layer_config(const Args& a, int experts, float cf) {
  moe::MoeConfig c;
  c.num_experts = experts;
  c.top_k = a.k;
  c.expert_d_ff = a.d_ff;
  c.capacity_factor_train = cf;
  c.router_init_std = 0.02f;
  return c;
}

struct MoeRun {
  ParamStore ps;
  std::unique_ptr<moe::MoeLayer> layer;
  nn::Ctx ctx;
  Tensor x, dy;
  MoeRun(const Args& a, const moe::MoeConfig& c) {
    layer = std::make_unique<moe::MoeLayer>(ps, "moe", c, a.d_model, a.d_ff, ops::Activation::relu);
    ps.finalize(a.device, 1);
    layer->set_expert_parallelism(a.parallel);
    layer->set_expert_gemm(a.gemm);
    ctx.training = true;
    ctx.device = a.device;
    x = on(a, nn::random_tensor({a.tokens, a.d_model}, 1));
    dy = on(a, nn::random_tensor({a.tokens, a.d_model}, 2, 1e-3f));
  }
  void fwd_bwd() {
    ctx.begin_step(ctx.step + 1);
    layer->forward(ctx, x);
    layer->backward(ctx, dy);
  }
  // The trainer's optimizer: Adam with global-norm clipping over the layer's parameters.
  void update() {
    if (!adam) adam = std::make_unique<train::Adam>(ps, train::AdamOptions{});
    adam->step(1e-4f);
  }
  std::unique_ptr<train::Adam> adam;
  void train_step() {
    ps.zero_grad();
    fwd_bwd();
    update();
  }
  // Median ms of each part of train_step, to show where extra experts cost time.
  nlohmann::json phases(const Args& a) {
    std::vector<double> t[4];
    auto now = [] { return std::chrono::steady_clock::now(); };
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    for (int i = 0; i < a.warmup + a.reps; ++i) {
      auto t0 = now();
      ps.zero_grad();
      sync(a.device);
      auto t1 = now();
      ctx.begin_step(ctx.step + 1);
      layer->forward(ctx, x);
      sync(a.device);
      auto t2 = now();
      layer->backward(ctx, dy);
      sync(a.device);
      auto t3 = now();
      update();
      sync(a.device);
      auto t4 = now();
      if (i < a.warmup) continue;
      t[0].push_back(ms(t1 - t0)), t[1].push_back(ms(t2 - t1));
      t[2].push_back(ms(t3 - t2)), t[3].push_back(ms(t4 - t3));
    }
    auto med = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    return {{"zero_grad", med(t[0])},
            {"forward", med(t[1])},
            {"backward", med(t[2])},
            {"adam", med(t[3])}};
  }
};

void moe_vs_dense(const Args& a) {
  // Dense reference: one FFN of width k * d_ff over all tokens (same active FLOPs).
  ParamStore dps;
  moe::ExpertBank dense(dps, "dense", 1, a.d_model, a.k * a.d_ff, ops::Activation::relu,
                        ParamGroup::dense);
  dps.finalize(a.device, 1);
  Tensor x = on(a, nn::random_tensor({a.tokens, a.d_model}, 1));
  Tensor dy = on(a, nn::random_tensor({a.tokens, a.d_model}, 2, 1e-3f));
  std::vector<int64_t> all = {0, a.tokens};
  auto dense_step = [&] {
    dense.forward_grouped(x, all);
    dense.backward(dy);
  };
  double flops = ffn_flops(a.tokens, a.d_model, a.k * a.d_ff);
  struct Variant {
    const char* name;
    float cf;
    bool noisy;
  };
  for (Variant v : {Variant{"dropless", 0.f, false}, Variant{"cf1.25", 1.25f, false},
                    Variant{"dropless_noisy_all_losses", 0.f, true}}) {
    moe::MoeConfig c = layer_config(a, a.experts, v.cf);
    if (v.noisy) {
      c.noisy_gating = true;
      c.importance_loss_coef = c.load_loss_coef = 0.01f;
    }
    MoeRun run(a, c);
    Paired pr = paired(a, dense_step, [&] { run.fwd_bwd(); });
    double dense_ms = pr.a_ms, moe_ms = pr.b_ms;
    // The expert GEMMs alone on the same plan, to split routing overhead from expert work.
    const auto& plan = run.layer->plan();
    Tensor xp = on(a, nn::random_tensor({plan.num_rows(), a.d_model}, 3));
    Tensor dyp = on(a, nn::random_tensor({plan.num_rows(), a.d_model}, 4, 1e-3f));
    auto& bank = const_cast<moe::ExpertBank&>(run.layer->experts());  // same weights
    double experts_ms = median_ms(a, [&] {
      bank.forward_grouped(xp, plan.host_offsets);
      bank.backward(dyp);
    });
    nlohmann::json j = {{"bench", "moe_vs_dense"},
                        {"device", a.device.str()},
                        {"variant", v.name},
                        {"tokens", a.tokens},
                        {"d_model", a.d_model},
                        {"expert_d_ff", a.d_ff},
                        {"dense_d_ff", a.k * a.d_ff},
                        {"experts", a.experts},
                        {"k", a.k},
                        {"threads", num_threads()},
                        {"expert_parallel", parallel_name(a.parallel)},
                        {"expert_gemm", a.gemm_name},
                        {"drop_fraction", plan.read_to_host().drop_fraction()},
                        {"dense_ms", dense_ms},
                        {"moe_ms", moe_ms},
                        {"moe_experts_only_ms", experts_ms},
                        {"ratio_moe_over_dense", pr.ratio},
                        {"dense_gflops", flops / dense_ms * 1e-6},
                        {"target_ratio", 1.3},
                        // The GPU issue's goal (#11) is 1.15; the CPU's was set at 1.1.
                        {"goal_ratio", a.device.is_cpu() ? 1.1 : 1.15}};
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  }
}

void experts_scaling(const Args& a) {
  // Every E is timed in alternation with the E = 8 baseline.
  MoeRun base(a, layer_config(a, 8, 0.f));
  for (int e : a.experts_list) {
    MoeRun run(a, layer_config(a, e, 0.f));
    Paired fbp = paired(
        a, [&] { base.fwd_bwd(); }, [&] { run.fwd_bwd(); });
    Paired stp = paired(
        a, [&] { base.train_step(); }, [&] { run.train_step(); });
    double fb = fbp.b_ms, step = stp.b_ms;
    nlohmann::json j = {{"bench", "experts_scaling"},
                        {"device", a.device.str()},
                        {"experts", e},
                        {"k", a.k},
                        {"tokens", a.tokens},
                        {"d_model", a.d_model},
                        {"expert_d_ff", a.d_ff},
                        {"threads", num_threads()},
                        {"expert_parallel", parallel_name(a.parallel)},
                        {"params", run.ps.numel()},
                        {"fwd_bwd_ms", fb},
                        {"step_ms", step}};
    j["step_vs_e8"] = stp.ratio;
    j["phases_ms"] = run.phases(a);
    j["fwd_bwd_vs_e8"] = fbp.ratio;
    j["target_vs_e8"] = 1.15;
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  set_num_threads(a.threads);
  try {
    require_device(a.device);
    if (a.mode == "moe_vs_dense" || a.mode == "all") moe_vs_dense(a);
    if (a.mode == "experts_scaling" || a.mode == "all") experts_scaling(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_moe: %s\n", e.what());
    return 1;
  }
  return 0;
}
