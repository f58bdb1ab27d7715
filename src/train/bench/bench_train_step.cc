// bench_train_step: whole-model training step (zero_grad, forward+backward of the Seq2Seq
// model, Adam with clipping: exactly what Trainer does per update, minus batch building) for
// E = 4..64 experts at fixed top-k and expert size, so the active FLOPs stay the same. Each E
// is timed in alternation with the E = 8 model; one JSON line per E with the ratio to E = 8.
// Usage: bench_train_step [--experts-list 4,8,16,32,64] [--k 2] [--d-model 256] [--heads 4]
//          [--ffn 1024] [--expert-ffn 1024] [--layers 3] [--vocab 8000] [--batch 128]
//          [--len 32] [--cf 1.25] [--reps 5] [--warmup 2] [--threads 0]
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/threads.h"
#include "model/seq2seq.h"
#include "train/optimizer.h"

using namespace moemt;

namespace {

struct Args {
  std::vector<int> experts_list = {4, 8, 16, 32, 64};
  int k = 2, heads = 4, layers = 3, reps = 5, warmup = 2, threads = 0;
  int64_t d_model = 256, ffn = 1024, expert_ffn = 1024, vocab = 8000, batch = 128, len = 32;
  float cf = 1.25f;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_train_step: %s needs a value\n", f.c_str());
      std::exit(2);
    }
    std::string v = argv[++i];
    if (f == "--experts-list") {
      a.experts_list.clear();
      for (size_t p = 0; p < v.size();) {
        size_t q = v.find(',', p);
        a.experts_list.push_back(std::stoi(v.substr(p, q - p)));
        p = q == std::string::npos ? v.size() : q + 1;
      }
    } else if (f == "--k") a.k = std::stoi(v);
    else if (f == "--heads") a.heads = std::stoi(v);
    else if (f == "--layers") a.layers = std::stoi(v);
    else if (f == "--reps") a.reps = std::stoi(v);
    else if (f == "--warmup") a.warmup = std::stoi(v);
    else if (f == "--threads") a.threads = std::stoi(v);
    else if (f == "--d-model") a.d_model = std::stoll(v);
    else if (f == "--ffn") a.ffn = std::stoll(v);
    else if (f == "--expert-ffn") a.expert_ffn = std::stoll(v);
    else if (f == "--vocab") a.vocab = std::stoll(v);
    else if (f == "--batch") a.batch = std::stoll(v);
    else if (f == "--len") a.len = std::stoll(v);
    else if (f == "--cf") a.cf = std::stof(v);
    else {
      std::fprintf(stderr, "bench_train_step: unknown flag %s\n", f.c_str());
      std::exit(2);
    }
  }
  return a;
}

model::ModelConfig model_config(const Args& a, int experts) {
  model::ModelConfig c;
  c.vocab_size = a.vocab;
  c.d_model = a.d_model;
  c.heads = a.heads;
  c.ffn_dim = a.ffn;
  c.enc_layers = c.dec_layers = a.layers;
  c.max_length = static_cast<int>(a.len);
  c.languages = {"eng_Latn", "deu_Latn"};
  c.language_groups = {"Germanic", "Germanic"};
  c.use_moe = true;
  for (moe::MoeConfig* m : {&c.moe.encoder, &c.moe.decoder}) {
    m->num_experts = experts;
    m->top_k = a.k;
    m->expert_d_ff = a.expert_ffn;
    m->capacity_factor_train = a.cf;
  }
  c.validate();
  return c;
}

// A full batch (no padding) of random token ids: batch x len on both sides.
model::BatchTensors random_batch(const Args& a) {
  model::BatchTensors b;
  RngStream rng{7, 0};
  auto ids = [&](uint64_t stream) {
    Tensor t = Tensor::empty({a.batch, a.len}, DType::i32);
    int32_t* p = t.data<int32_t>();
    RngStream r = rng.sub(stream);
    for (int64_t i = 0; i < t.numel(); ++i)
      p[i] = 4 + static_cast<int32_t>(r.uniform(i) * static_cast<float>(a.vocab - 5));
    return t;
  };
  b.src_ids = ids(1);
  b.tgt_in = ids(2);
  b.tgt_out = ids(3);
  b.src_lengths_host.assign(a.batch, static_cast<int32_t>(a.len));
  b.tgt_lengths_host = b.src_lengths_host;
  b.src_lengths = Tensor::from_vector(b.src_lengths_host, {a.batch});
  b.src_lang.assign(a.batch, 0);
  b.tgt_lang.assign(a.batch, 1);
  return b;
}

struct Run {
  model::Seq2Seq model;  // the concrete Transformer: the benchmark times its layers
  train::Adam adam;
  nn::Ctx ctx;
  Run(const Args& a, int experts)
      : model(model_config(a, experts)), adam((model.finalize(Device::cpu(), 1), model.params()), {}) {
    ctx.training = true;
  }
  // Milliseconds of zero_grad, forward+backward and the Adam update.
  std::array<double, 3> step(const model::BatchTensors& b) {
    auto now = [] { return std::chrono::steady_clock::now(); };
    auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    auto t0 = now();
    ctx.begin_step(ctx.step + 1);
    model.params().zero_grad();
    auto t1 = now();
    model.forward_backward(ctx, b, 0.1f);
    auto t2 = now();
    adam.step(1e-4f);
    auto t3 = now();
    return {ms(t1 - t0), ms(t2 - t1), ms(t3 - t2)};
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  set_num_threads(a.threads);
  try {
    model::BatchTensors batch = random_batch(a);
    Run base(a, 8);
    for (int e : a.experts_list) {
      Run run(a, e);
      for (int i = 0; i < a.warmup; ++i) base.step(batch), run.step(batch);
      std::vector<double> tb, te, r, phase[3];
      for (int i = 0; i < a.reps; ++i) {
        auto pb = base.step(batch), pe = run.step(batch);
        tb.push_back(pb[0] + pb[1] + pb[2]);
        te.push_back(pe[0] + pe[1] + pe[2]);
        r.push_back(te.back() / tb.back());
        for (int p = 0; p < 3; ++p) phase[p].push_back(pe[p]);
      }
      const ParamStore& ps = run.model.params();
      nlohmann::json j = {{"bench", "train_step_experts_scaling"},
                          {"experts", e},
                          {"k", a.k},
                          {"tokens_per_side", a.batch * a.len},
                          {"d_model", a.d_model},
                          {"expert_d_ff", a.expert_ffn},
                          {"layers", a.layers},
                          {"moe_layers", run.model.moe_layers().size()},
                          {"threads", num_threads()},
                          {"params", ps.numel()},
                          {"expert_params", ps.numel() - ps.dense_numel()},
                          {"step_ms", median(te)},
                          {"e8_step_ms", median(tb)},
                          {"step_vs_e8", median(r)},
                          {"phases_ms",
                           {{"zero_grad", median(phase[0])},
                            {"forward_backward", median(phase[1])},
                            {"adam", median(phase[2])}}},
                          {"target_vs_e8", 1.15}};
      std::printf("%s\n", j.dump().c_str());
      std::fflush(stdout);
    }
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "bench_train_step: %s\n", ex.what());
    return 1;
  }
  return 0;
}
