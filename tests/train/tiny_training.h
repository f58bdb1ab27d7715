// Shared by the trainer tests: the committed corpus sample, fresh scratch folders, and the
// options of a tiny model (d 32, 1+2 layers, vocabulary 500) that trains in about a second.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "train/options.h"

namespace moemt::train::testing {

inline std::string sample(const std::string& name) {
  return std::string(MOEMT_SOURCE_DIR) + "/corpora/sample/train/" + name;
}

// A path under a per-process temporary folder named after `suite`, removed if it exists.
inline std::string fresh_dir(const std::string& suite, const std::string& name) {
  namespace fs = std::filesystem;
  auto p = fs::temp_directory_path() / (suite + "_" + std::to_string(::getpid())) / name;
  fs::remove_all(p);
  fs::create_directories(p.parent_path());
  return p.string();
}

inline TrainOptions tiny_options(const std::string& dir, bool moe) {
  TrainOptions o;
  o.model_dir = dir;
  o.train_pairs = {{sample("eng_Latn-deu_Latn.eng_Latn"), sample("eng_Latn-deu_Latn.deu_Latn"), "", ""},
                   {sample("eng_Latn-fra_Latn.eng_Latn"), sample("eng_Latn-fra_Latn.fra_Latn"), "", ""}};
  o.vocab.vocab_size = 500;
  o.vocab.num_threads = 1;
  o.model.d_model = 32;
  o.model.heads = 2;
  o.model.ffn_dim = 64;
  o.model.enc_layers = 1;
  o.model.dec_layers = 2;
  o.model.dropout = 0.1f;
  o.model.use_moe = moe;
  o.model.moe.encoder.every = 1;
  o.model.moe.decoder.every = 2;
  o.model.moe.encoder.num_experts = o.model.moe.decoder.num_experts = 4;
  o.model.moe.decoder.noisy_gating = true;
  o.batching.mini_batch_words = 600;
  o.lr.base_lr = 2e-3f;
  o.lr.warmup = 10;
  o.disp_freq = {Amount::updates, 1000};
  o.save_freq = {Amount::updates, 0};
  o.cpu_threads = 1;
  o.seed = 7;
  return o;
}

// A tiny MoE model whose step is a pure function of the batch (no dropout, no gating noise,
// dropless experts, no balancing losses: those are computed per shard), so every rank count
// computes the one-process update up to float summation order. experts = 0 keeps
// tiny_options' count.
inline TrainOptions exact_moe_options(const std::string& dir, int experts = 0) {
  TrainOptions o = tiny_options(dir, true);
  o.model.dropout = 0.f;
  for (auto* m : {&o.model.moe.encoder, &o.model.moe.decoder}) {
    m->every = 1;
    if (experts > 0) m->num_experts = experts;
    m->noisy_gating = false;
    m->capacity_factor_train = 0.f;
    m->switch_loss_coef = m->z_loss_coef = 0.f;
  }
  o.comm_timeout = 60;
  return o;
}

}  // namespace moemt::train::testing
