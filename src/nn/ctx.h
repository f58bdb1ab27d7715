// Ctx: what every layer call needs besides its inputs — device, train/eval mode, the random
// stream for dropout and gating noise, and the routing context of MoE layers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"

namespace moemt::moe {
class RoutingStats;  // defined in moe/; nn only carries the pointer
struct HostRoutingPlan;
}  // namespace moemt::moe

namespace moemt::nn {

struct Ctx {
  Device device = Device::cpu();
  // The device's compute stream (null = its default stream). Model entry points make it the
  // current stream (stream_scope()), so every op they call is queued on it; communication may
  // use another stream (Tensor::record_stream keeps shared buffers alive across both).
  Stream stream;
  StreamGuard stream_scope() const { return StreamGuard(stream.device == device ? stream : Stream{device, nullptr}); }
  bool training = false;
  uint64_t seed = 0;
  uint64_t step = 0;

  // A fresh random stream for each call that needs one (dropout, gating noise). Streams are
  // numbered by call order within the step, which is fixed, so runs are reproducible.
  RngStream next_rng() { return RngStream{seed, (step << 24) + (++calls_)}; }
  void begin_step(uint64_t s) {
    step = s;
    calls_ = 0;
  }

  // Routing context, set by the model before running a stack: token rows are laid out as
  // (sentences, rows_per_sentence), so row r belongs to sentence r / rows_per_sentence.
  int64_t rows_per_sentence = 1;
  std::vector<int32_t> src_lang;  // per sentence: language ids (registry order)
  std::vector<int32_t> tgt_lang;
  std::vector<uint8_t> row_valid;  // per row: 0 for padding positions (empty = all valid)
  int stack = 0;                   // 0 = encoder, 1 = decoder (for per-stack MoE settings)
  // Sets the routing context for a stack whose rows are (sentences, rows_per_sentence); rows at
  // or past a sentence's length (of `len` positions laid out per sentence) are padding. Empty
  // lengths: every row is valid (decoding steps).
  void set_routing(int stack_id, int64_t rows_per_sent, const std::vector<int32_t>& src,
                   const std::vector<int32_t>& tgt, const std::vector<int32_t>& lengths,
                   int64_t len) {
    stack = stack_id;
    rows_per_sentence = rows_per_sent;
    src_lang = src;
    tgt_lang = tgt;
    row_valid.clear();
    if (lengths.empty()) return;
    row_valid.assign(lengths.size() * static_cast<size_t>(len), 0);
    for (size_t b = 0; b < lengths.size(); ++b)
      for (int64_t t = 0; t < std::min<int64_t>(lengths[b], len); ++t) row_valid[b * len + t] = 1;
  }
  // Decoding sets this: MoE layers then keep every routed token (no capacity limit), so a
  // sentence's translation does not depend on which other sentences share its batch.
  bool dropless = false;

  // Called by a model's forward_backward each time one of its backward units (a name prefix of
  // parameters, model::Model::backward_units) has final gradients, in that list's order: the
  // trainer starts summing them over the ranks while backward goes on.
  std::function<void(const std::string& unit)> on_grads_final;
  void grads_final(const std::string& unit) {
    if (on_grads_final) on_grads_final(unit);
  }

  moe::RoutingStats* routing_stats = nullptr;  // collects per-layer expert usage when set
  // Called by every MoE layer with a host copy of its routing plan (routing traces).
  std::function<void(const std::string& layer, const moe::HostRoutingPlan& plan)> on_routing;

  // Weighted balancing losses added by MoE layers since reset_aux_loss(): a (1) f32 tensor on
  // the layers' device, undefined until a layer adds to it. Models copy it into their device
  // loss statistics (model::LossStats); the trainer reads those once per display interval.
  Tensor aux_loss;
  void reset_aux_loss() { aux_loss = Tensor(); }
  Tensor& aux_loss_buffer(Device d) {
    if (!aux_loss.defined()) aux_loss = Tensor::zeros({1}, DType::f32, d);
    return aux_loss;
  }

 private:
  uint64_t calls_ = 0;
};

}  // namespace moemt::nn
