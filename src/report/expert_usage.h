// Expert-usage report (`moemt eval --expert-usage`): for every MoE layer, how the slots of each
// language's tokens spread over the experts (encoder layers by source language, decoder layers
// by target language), with the layer's balance figures — as Markdown and as a self-contained
// HTML page of heatmaps to look at in a browser.
#pragma once

#include <string>
#include <vector>

#include "moe/routing_stats.h"

namespace moemt::report {

// lang_names maps the model's language ids to codes (rows are labelled by id when empty).
std::string expert_usage_markdown(const moe::RoutingStats& stats,
                                  const std::vector<std::string>& lang_names);
std::string expert_usage_html(const moe::RoutingStats& stats,
                              const std::vector<std::string>& lang_names,
                              const std::string& title);

// Share of a language's routed slots that went to each expert (zeros for no slots).
std::vector<double> expert_shares(const std::vector<int64_t>& routed);

}  // namespace moemt::report
