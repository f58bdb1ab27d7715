// Routing trace by a teacher-forced pass over the final translation: simpler and exact,
// since beam search reorders rows every step.
#include "decode/routing_trace.h"

#include "data/sample.h"
#include "moe/routing_plan.h"

namespace moemt::decode {

namespace {
// Runs the model teacher-forced on one sentence with `ctx` (its hooks set by the caller).
void forced_pass(model::Model& model, const data::Vocab& vocab,
                 const std::vector<int32_t>& enc_in, const std::vector<int32_t>& dec_in,
                 const std::vector<int32_t>& output, int32_t src_lang, int32_t tgt_lang,
                 nn::Ctx& ctx) {
  auto dec_out = data::decoder_output(output, vocab.eos_id());
  model::BatchTensors b;
  int64_t s = static_cast<int64_t>(enc_in.size()), t = static_cast<int64_t>(dec_in.size());
  Device dev = model.params().device();
  auto put = [&](const std::vector<int32_t>& v, Shape sh) {
    Tensor x = Tensor::from_vector(v, sh);
    return dev.is_cpu() ? x : x.to(dev);
  };
  b.src_ids = put(enc_in, {1, s});
  b.src_lengths_host = {static_cast<int32_t>(s)};
  b.src_lengths = put(b.src_lengths_host, {1});
  b.tgt_in = put(dec_in, {1, t});
  b.tgt_out = put(dec_out, {1, t});
  b.tgt_lengths_host = {static_cast<int32_t>(t)};
  b.src_lang = {src_lang};
  b.tgt_lang = {tgt_lang};
  ctx.device = dev;
  ctx.dropless = true;
  model.evaluate(ctx, b);
}
}  // namespace

std::vector<nlohmann::json> routing_trace(model::Model& model, const data::Vocab& vocab,
                                          int64_t sentence, const std::vector<int32_t>& enc_in,
                                          const std::vector<int32_t>& output, int32_t src_lang,
                                          int32_t tgt_lang) {
  std::vector<nlohmann::json> out;
  auto dec_in = data::decoder_input(output, vocab.bos_id());
  nn::Ctx ctx;
  ctx.on_routing = [&](const std::string& layer, const moe::HostRoutingPlan& plan) {
    bool enc = ctx.stack == 0;
    const auto& tokens = enc ? enc_in : dec_in;
    for (int64_t pos = 0; pos < plan.num_tokens; ++pos) {
      nlohmann::json experts = nlohmann::json::array(), gates = nlohmann::json::array();
      bool dropped = false;
      for (int j = 0; j < plan.k; ++j) {
        int64_t slot = pos * plan.k + j;
        if (plan.expert[slot] < 0) continue;
        experts.push_back(plan.expert[slot]);
        gates.push_back(plan.gate[slot]);
        dropped = dropped || plan.row[slot] < 0;
      }
      out.push_back({{"sentence", sentence},
                     {"stack", enc ? "encoder" : "decoder"},
                     {"layer", layer},
                     {"position", pos},
                     {"token", vocab.piece(tokens[pos])},
                     {"experts", experts},
                     {"gates", gates},
                     {"dropped", dropped}});
    }
  };
  forced_pass(model, vocab, enc_in, dec_in, output, src_lang, tgt_lang, ctx);
  return out;
}

void record_routing(model::Model& model, const data::Vocab& vocab,
                    const std::vector<int32_t>& enc_in, const std::vector<int32_t>& output,
                    int32_t src_lang, int32_t tgt_lang, moe::RoutingStats& stats) {
  nn::Ctx ctx;
  ctx.routing_stats = &stats;
  forced_pass(model, vocab, enc_in, data::decoder_input(output, vocab.bos_id()), output, src_lang,
              tgt_lang, ctx);
}

}  // namespace moemt::decode
