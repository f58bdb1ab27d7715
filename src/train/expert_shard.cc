// Expert groups and replica groups, this rank's expert ranges, the gradient reductions of
// expert-parallel training and the exchange that makes every expert current on every rank.
#include "train/expert_shard.h"

#include <unistd.h>

#include <algorithm>
#include <map>

#include "core/error.h"
#include "moe/expert_placement.h"
#include "moe/moe_layer.h"
#include "train/grad_buckets.h"

namespace moemt::train {

std::vector<std::pair<int64_t, int64_t>> merged_ranges(const ParamStore& ps,
                                                       const std::vector<int>& ids) {
  std::vector<std::pair<int64_t, int64_t>> r;
  for (int id : ids) {
    const ParamInfo& p = ps.info(id);
    r.emplace_back(p.offset, p.offset + p.shape.numel());
  }
  std::sort(r.begin(), r.end());
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto& x : r) {
    if (!out.empty() && out.back().second == x.first)
      out.back().second = x.second;
    else
      out.push_back(x);
  }
  return out;
}

namespace {

// Node ids of the world's ranks: equal host names, equal ids.
std::vector<int> host_nodes(dist::Communicator& world) {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  std::vector<std::string> hosts = dist::gather_strings(world, host, 0, "host names");
  std::string joined;
  for (const std::string& h : hosts) joined += h + '\n';
  dist::broadcast_string(world, joined, 0, "host names");
  std::map<std::string, int> ids;
  std::vector<int> node;
  for (size_t at = 0, end; (end = joined.find('\n', at)) != std::string::npos; at = end + 1)
    node.push_back(
        ids.emplace(joined.substr(at, end - at), static_cast<int>(ids.size())).first->second);
  return node;
}

}  // namespace

ExpertShard::ExpertShard(dist::Communicator& world, int n, model::Model& model,
                         std::vector<int> node_of_rank)
    : world_(world) {
  if (n < 1 || world.size() % n != 0)
    throw Error("--expert-parallel {}: must divide the number of ranks ({})", n, world.size());
  const auto layers = model.moe_layers();
  if (layers.empty())
    throw Error("--expert-parallel {}: the model has no MoE layers to spread (set --moe)", n);
  for (const moe::MoeLayer* l : layers)
    if (l->config().num_experts % n != 0)
      throw Error(
          "--expert-parallel {}: must divide the expert count of every MoE layer ({} has "
          "{}; see --moe-experts)",
          n, l->name(), l->config().num_experts);
  // Which ranks share a node (by host name unless given), for the placement and so the log can
  // split the all-to-all bytes into inside and across nodes.
  if (node_of_rank.empty()) node_of_rank = host_nodes(world);
  MOEMT_CHECK(static_cast<int>(node_of_rank.size()) == world.size(), "{} node ids for {} ranks",
              node_of_rank.size(), world.size());
  std::vector<moe::PlacedLayer> shapes;
  for (const moe::MoeLayer* l : layers)
    shapes.push_back({l->name(), l->config().num_experts, l->config().num_groups});
  const moe::ExpertPlacement place = moe::place_experts(node_of_rank, n, shapes);
  const int pos = place.position[world.rank()];
  group_ = world.split(pos / n, pos, "expert groups");
  replicas_ = world.split(pos % n, pos, "expert replica groups");
  const std::vector<int> group_nodes(place.node.begin() + pos / n * n,
                                    place.node.begin() + pos / n * n + n);
  for (int q = 1; q < n; ++q) group_nodes_ += group_nodes[q] != group_nodes[q - 1];
  group_->set_nodes(group_nodes);
  ParamStore& ps = model.params();
  std::vector<int> mine, theirs;
  layers_ = layers;
  for (moe::MoeLayer* l : layers) {
    l->set_expert_group(group_.get());
    const int first = l->first_local_expert(), count = l->num_local_experts();
    for (int e = 0; e < l->config().num_experts; ++e) {
      const auto& w = l->experts().expert(e);
      for (const Param& p : {w.w1, w.b1, w.w2, w.b2})
        (e >= first && e < first + count ? mine : theirs).push_back(p.id);
    }
  }
  local_ = merged_ranges(ps, mine);
  others_ = merged_ranges(ps, theirs);
  for (const auto& [b, e] : local_)
    MOEMT_CHECK(b >= ps.dense_numel(), "expert range [{}, {}) inside the dense range", b, e);
}

ExpertShard::~ExpertShard() {
  // The layers point at the group: a model outliving the shard runs every expert locally.
  for (moe::MoeLayer* l : layers_) l->set_expert_group(nullptr);
}

void ExpertShard::reduce_gradients(Tensor grads,
                                   const std::vector<std::pair<int64_t, int64_t>>& dense_buckets,
                                   const std::string& context) {
  all_reduce_buckets(world_, grads, dense_buckets, context + ", dense gradients");
  if (replicas_->size() == 1) return;
  for (const auto& [b, e] : local_) {
    Tensor part = grads.narrow(b, e - b);
    replicas_->all_reduce_sum(part, context + ", expert gradients");
  }
}

void ExpertShard::sync(Tensor buffer, const std::string& context) {
  // Zeroing the others' slices and summing over the group is exact (x + 0 = x): each expert
  // ends up with its owner's values on every rank.
  for (const auto& [b, e] : others_) {
    Tensor part = buffer.narrow(b, e - b);
    part.zero();
  }
  // One reduction over the span of all experts (after the dense range).
  int64_t begin = buffer.numel(), end = 0;
  for (const auto& r : local_) begin = std::min(begin, r.first), end = std::max(end, r.second);
  for (const auto& r : others_) begin = std::min(begin, r.first), end = std::max(end, r.second);
  if (end <= begin) return;
  Tensor part = buffer.narrow(begin, end - begin);
  group_->all_reduce_sum(part, context + ", experts");
}

dist::Communicator::Traffic ExpertShard::take_traffic() {
  dist::Communicator::Traffic t;
  for (dist::Communicator* c : {&world_, group_.get(), replicas_.get()}) {
    t.add(c->traffic());
    c->reset_traffic();
  }
  return t;
}

}  // namespace moemt::train
