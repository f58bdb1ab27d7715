// Per-token routing traces (--routing-trace): which experts each source and output token of a
// translation went to in every MoE layer, with gate values, as JSON lines; and the same
// routing summed into RoutingStats (moemt eval --expert-usage).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "data/vocab.h"
#include "model/model.h"
#include "moe/routing_stats.h"

namespace moemt::decode {

// Runs the model teacher-forced on (encoder input, output tokens) of one sentence and returns
// one JSON record per (stack, MoE layer, position): {"sentence", "stack", "layer", "position",
// "token", "experts", "gates", "dropped"}. The decoder position t is the step that read
// token t of [bos] + output and predicted output token t (or eos).
std::vector<nlohmann::json> routing_trace(model::Model& model, const data::Vocab& vocab,
                                          int64_t sentence, const std::vector<int32_t>& encoder_input,
                                          const std::vector<int32_t>& output, int32_t src_lang,
                                          int32_t tgt_lang);

// The same teacher-forced pass, adding the sentence's routing to `stats` (encoder rows under
// src_lang, decoder rows under tgt_lang): expert usage of final translations for reports.
void record_routing(model::Model& model, const data::Vocab& vocab,
                    const std::vector<int32_t>& encoder_input, const std::vector<int32_t>& output,
                    int32_t src_lang, int32_t tgt_lang, moe::RoutingStats& stats);

}  // namespace moemt::decode
