// Expert groups and replica groups, this rank's expert ranges, the gradient reductions of
// expert-parallel training and the exchange that makes every expert current on every rank.
#include "train/expert_shard.h"

#include <algorithm>
#include <cstdint>

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

ExpertShard::ExpertShard(dist::Communicator& world, int n, model::Model& model,
                         std::vector<int> node_of_rank)
    : world_(world), store_(model.params()) {
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
  if (node_of_rank.empty()) node_of_rank = dist::key_ids(world, dist::host_name(), "host names");
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
  lead_group_ = pos / n == place.position[0] / n;
  lead_ = place.position[0] % n;
  layers_ = layers;
  for (moe::MoeLayer* l : layers) {
    l->set_expert_group(group_.get());
    const int first = l->first_local_expert(), count = l->num_local_experts();
    mine_.emplace_back();
    all_.emplace_back();
    for (int e = 0; e < l->config().num_experts; ++e) {
      const auto& w = l->experts().expert(e);
      for (const Param& p : {w.w1, w.b1, w.w2, w.b2}) {
        if (!p.defined())
          throw Error(
              "--expert-parallel {}: {} lacks expert {} (a sub-model of `moemt "
              "extract`); train it without --expert-parallel",
              n, l->name(), e);
        all_.back().push_back(p.id);
        if (e >= first && e < first + count) mine_.back().push_back(p.id);
      }
    }
  }
}

ExpertShard::~ExpertShard() {
  // The layers point at the group: a model outliving the shard runs every expert locally.
  for (moe::MoeLayer* l : layers_) l->set_expert_group(nullptr);
}

void ExpertShard::release_remote_experts() {
  MOEMT_CHECK(!store_.finalized(), "release_remote_experts after the store was finalized");
  for (size_t l = 0; l < all_.size(); ++l)
    for (int id : all_[l])
      if (std::find(mine_[l].begin(), mine_[l].end(), id) == mine_[l].end())
        store_.set_remote(Param{&store_, id});
}

const std::vector<std::pair<int64_t, int64_t>>& ExpertShard::local_ranges() {
  if (local_.empty()) {
    // Merged per layer only, so the ranges (and the gradient norm's partial sums over them) are
    // those of a layout holding every expert, where other ranks' experts separate the layers'.
    for (const auto& ids : mine_)
      for (const auto& r : merged_ranges(store_, ids)) local_.push_back(r);
    for (const auto& [b, e] : local_)
      MOEMT_CHECK(b >= store_.dense_numel(), "expert range [{}, {}) inside the dense range", b, e);
  }
  return local_;
}

void ExpertShard::reduce_gradients(Tensor grads,
                                   const std::vector<std::pair<int64_t, int64_t>>& dense_buckets,
                                   const std::string& context) {
  all_reduce_buckets(world_, grads, dense_buckets, context + ", dense gradients");
  if (replicas_->size() == 1) return;
  for (const auto& [b, e] : local_ranges()) {
    Tensor part = grads.narrow(b, e - b);
    replicas_->all_reduce_sum(part, context + ", expert gradients");
  }
}

namespace {
// [begin, end) of the given parameters' slots (alignment included) at their offsets in the
// store's layout or in the full one; they must be contiguous.
std::pair<int64_t, int64_t> span(const ParamStore& ps, const std::vector<int>& ids, bool full) {
  int64_t b = INT64_MAX, e = 0, slots = 0;
  for (int id : ids) {
    const ParamInfo& p = ps.info(id);
    const int64_t at = full ? p.full_offset : p.offset;
    b = std::min(b, at);
    e = std::max(e, at + ParamStore::slot(p.shape.numel()));
    slots += ParamStore::slot(p.shape.numel());
  }
  MOEMT_CHECK(!ids.empty() && e - b == slots, "expert parameters not contiguous in the layout");
  return {b, e};
}
}  // namespace

void ExpertShard::gather(const Tensor& local, Tensor full, const std::string& context) {
  MOEMT_CHECK(local.numel() == store_.numel(), "gather: {} values for a store of {}", local.numel(),
              store_.numel());
  const bool root = world_.rank() == 0;
  if (root) {
    MOEMT_CHECK(full.numel() == store_.full_numel(), "gather: full buffer of {} values for {}",
                full.numel(), store_.full_numel());
    Tensor dense = full.narrow(0, store_.dense_numel());
    dense.copy_from(local.narrow(0, store_.dense_numel()));
  }
  if (!lead_group_) return;
  // Inside a layer, block j of its experts sits on group rank j and the blocks follow each
  // other in the full layout, in the same slots as on their rank: the rows received from the
  // group, in rank order, are the layer's full range.
  const int n = group_->size();
  for (size_t l = 0; l < layers_.size(); ++l) {
    const auto [b, e] = span(store_, mine_[l], false);
    const auto [fb, fe] = span(store_, all_[l], true);
    MOEMT_CHECK((e - b) * n == fe - fb, "{}: {} expert values here, {} in the layer",
                layers_[l]->name(), e - b, fe - fb);
    // Rows of one slot alignment (16 values): every span is a multiple of it.
    constexpr int64_t kRow = 16;
    std::vector<int64_t> counts(n, 0);
    counts[lead_] = (e - b) / kRow;
    Tensor got =
        group_->all_to_all_v(local.narrow(b, e - b).reshape({(e - b) / kRow, kRow}), counts,
                             nullptr, context + ", gathering " + layers_[l]->name() + " experts");
    if (root) {
      Tensor dst = full.narrow(fb, fe - fb).reshape({(fe - fb) / kRow, kRow});
      dst.copy_from(got);
    }
  }
}

std::unique_ptr<GatheredModel> ExpertShard::gather_model(const model::ModelConfig& config,
                                                         Adam& adam, const Tensor* raw,
                                                         const std::string& context) {
  const int64_t n = store_.full_numel();
  std::unique_ptr<GatheredModel> g;
  Tensor values, m, v, raw_full;
  if (world_.rank() == 0) {
    g = std::make_unique<GatheredModel>();
    g->model = model::make_model(config);
    ParamStore& full = g->model->params();
    MOEMT_CHECK(full.size() == store_.size(), "gathered model: {} parameters, training has {}",
                full.size(), store_.size());
    g->values = values = Tensor::zeros({n}, DType::f32, Device::cpu());
    std::vector<Tensor> views;
    for (int id = 0; id < full.size(); ++id) {
      const ParamInfo& p = store_.info(id);
      MOEMT_CHECK(full.info(id).name == p.name, "gathered model: parameter {} is {}, not {}", id,
                  full.info(id).name, p.name);
      views.push_back(values.narrow(p.full_offset, p.shape.numel()).reshape(p.shape));
    }
    full.finalize_views(std::move(views), nullptr);
    g->adam = std::make_unique<Adam>(full, AdamOptions{});
    g->adam->set_steps(adam.steps());
    m = g->adam->m();
    v = g->adam->v();
    if (raw) g->raw = raw_full = Tensor::zeros({n}, DType::f32, Device::cpu());
  }
  gather(store_.values(), values, context + ", parameters");
  gather(adam.m(), m, context + ", Adam moments");
  gather(adam.v(), v, context + ", Adam moments");
  if (raw) gather(*raw, raw_full, context + ", raw weights");
  return g;
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
