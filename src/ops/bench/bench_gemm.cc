// bench_gemm: the MoE expert GEMM three ways, one JSON line per shape: one grouped call
// (ops::gemm_grouped: cublasGemmGroupedBatchedEx on CUDA), a loop of one gemm per expert (the
// reference), and one dense gemm of the same FLOPs (tokens x d times d x ffn). Token counts per
// expert are balanced or skewed (expert e gets a share proportional to 1 / (e + 1)). The
// grouped and looped outputs are compared (max abs difference) as a sanity check.
// Usage: bench_gemm [--device cpu|cuda0] [--experts 8,16,64] [--tokens 8192,65536] [--d 1024]
//                   [--ffn 4096] [--dtype f32|bf16] [--reps 10] [--warmup 3]
// The goal: grouped >= 70 % of the dense TFLOP/s on balanced loads (GPU).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "core/cuda_runtime.h"
#include "core/rng.h"
#include "ops/cast.h"
#include "ops/gemm.h"

using namespace moemt;

namespace {

struct Args {
  Device device = Device::cpu();
  std::vector<int64_t> experts = {8, 16, 64}, tokens = {8192, 65536};
  int64_t d = 1024, ffn = 4096;
  DType dtype = DType::f32;
  int reps = 10, warmup = 3;
};

std::vector<int64_t> list(const std::string& s) {
  std::vector<int64_t> v;
  std::stringstream in(s);
  for (std::string x; std::getline(in, x, ',');) v.push_back(std::stoll(x));
  return v;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string f = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_gemm: %s needs a value\n", f.c_str());
      std::exit(2);
    }
    const std::string v = argv[++i];
    if (f == "--device")
      a.device = v == "cpu" ? Device::cpu()
                            : Device::cuda(std::stoi(v.substr(v.find_first_of("0123456789"))));
    else if (f == "--experts")
      a.experts = list(v);
    else if (f == "--tokens")
      a.tokens = list(v);
    else if (f == "--d")
      a.d = std::stoll(v);
    else if (f == "--ffn")
      a.ffn = std::stoll(v);
    else if (f == "--dtype")
      a.dtype = v == "bf16" ? DType::bf16 : DType::f32;
    else if (f == "--reps")
      a.reps = std::stoi(v);
    else if (f == "--warmup")
      a.warmup = std::stoi(v);
    else {
      std::fprintf(stderr, "bench_gemm: unknown option %s\n", f.c_str());
      std::exit(2);
    }
  }
  return a;
}

Tensor random(const Shape& s, uint64_t stream, DType t, Device dev) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  RngStream r{5, stream};
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.1f * r.normal(i);
  Tensor f = Tensor::from_vector(v, s).to(dev);
  if (t == DType::f32) return f;
  Tensor h = Tensor::empty(s, t, dev);
  ops::cast(f, h);
  return h;
}

void sync(Device dev) {
  if (!dev.is_cpu()) cuda_synchronize(current_stream(dev));
}

// Median seconds of one call after warm-up.
double time_it(const Args& a, const std::function<void()>& f) {
  for (int i = 0; i < a.warmup; ++i) f();
  sync(a.device);
  std::vector<double> t;
  for (int i = 0; i < a.reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    sync(a.device);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Rows per expert summing to tokens: equal, or proportional to 1 / (e + 1).
std::vector<int64_t> split(int64_t tokens, int64_t experts, bool skewed) {
  std::vector<double> w(experts);
  for (int64_t e = 0; e < experts; ++e) w[e] = skewed ? 1.0 / static_cast<double>(e + 1) : 1.0;
  double sum = 0;
  for (double x : w) sum += x;
  std::vector<int64_t> rows(experts);
  int64_t given = 0;
  for (int64_t e = 0; e < experts; ++e)
    given += rows[e] = static_cast<int64_t>(tokens * w[e] / sum);
  rows[0] += tokens - given;
  return rows;
}

void run(const Args& a, int64_t experts, int64_t tokens, bool skewed) {
  const Device dev = a.device;
  Tensor x = random({tokens, a.d}, 1, a.dtype, dev);
  std::vector<Tensor> w;
  for (int64_t e = 0; e < experts; ++e) w.push_back(random({a.d, a.ffn}, 10 + e, a.dtype, dev));
  Tensor yg = Tensor::empty({tokens, a.ffn}, DType::f32, dev);
  Tensor yl = Tensor::empty({tokens, a.ffn}, DType::f32, dev);
  std::vector<ops::GemmProblem> grouped, looped;
  int64_t r0 = 0;
  for (int64_t e = 0; e < experts; ++e) {
    const int64_t n = split(tokens, experts, skewed)[e];
    grouped.push_back({x.narrow(r0, n), w[e], yg.narrow(r0, n)});
    looped.push_back({x.narrow(r0, n), w[e], yl.narrow(r0, n)});
    r0 += n;
  }
  const double tg = time_it(a, [&] { ops::gemm_grouped(grouped, false, false); });
  const double tl = time_it(a, [&] {
    for (ops::GemmProblem& p : looped) ops::gemm(p.a, false, p.b, false, p.c);
  });
  Tensor yd = Tensor::empty({tokens, a.ffn}, DType::f32, dev);
  const double td = time_it(a, [&] { ops::gemm(x, false, w[0], false, yd); });
  auto gv = yg.to_vector(), lv = yl.to_vector();
  double diff = 0;
  for (size_t i = 0; i < gv.size(); ++i) diff = std::max(diff, std::abs(double(gv[i]) - lv[i]));
  const double flops = 2.0 * tokens * a.d * a.ffn;
  std::printf(
      "{\"bench\": \"grouped_gemm\", \"device\": \"%s\", \"dtype\": \"%s\", \"experts\": %lld, "
      "\"tokens\": %lld, \"d\": %lld, \"ffn\": %lld, \"load\": \"%s\", \"grouped_tflops\": %.3f, "
      "\"loop_tflops\": %.3f, \"dense_tflops\": %.3f, \"grouped_over_dense\": %.3f, "
      "\"grouped_over_loop\": %.3f, \"max_abs_diff\": %.3g}\n",
      dev.str().c_str(), dtype_name(a.dtype), static_cast<long long>(experts),
      static_cast<long long>(tokens), static_cast<long long>(a.d), static_cast<long long>(a.ffn),
      skewed ? "skewed" : "balanced", flops / tg / 1e12, flops / tl / 1e12, flops / td / 1e12,
      td / tg, tl / tg, diff);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  try {
    for (int64_t e : a.experts)
      for (int64_t t : a.tokens)
        for (bool skewed : {false, true}) run(a, e, t, skewed);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "bench_gemm: %s\n", ex.what());
    return 1;
  }
  return 0;
}
