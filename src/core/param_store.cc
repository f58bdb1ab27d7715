// Flat parameter layout and deterministic initialisation.
#include "core/param_store.h"

#include <algorithm>
#include <cmath>

namespace moemt {

namespace {
int64_t align_up(int64_t n) { return ParamStore::slot(n); }
}  // namespace

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

Tensor Param::w() const { return store->value(id); }
Tensor Param::g() const { return store->grad(id); }

Param ParamStore::add(const std::string& name, const Shape& shape, InitSpec init,
                      ParamGroup group) {
  MOEMT_CHECK(!finalized_, "ParamStore::add('{}') after finalize", name);
  MOEMT_CHECK(!by_name_.count(name), "duplicate parameter name '{}'", name);
  int id = static_cast<int>(params_.size());
  params_.push_back({name, shape, init, group, -1});
  by_name_[name] = id;
  return Param{this, id};
}

void ParamStore::finalize_views(std::vector<Tensor> values, std::shared_ptr<void> owner) {
  MOEMT_CHECK(!finalized_, "ParamStore finalized twice");
  MOEMT_CHECK(values.size() == params_.size(), "{} views for {} parameters", values.size(),
              params_.size());
  for (size_t i = 0; i < values.size(); ++i)
    MOEMT_CHECK(values[i].device().is_cpu() && values[i].dtype() == DType::f32 &&
                    values[i].shape() == params_[i].shape,
                "view of {} is {} {} on {}, wants {} f32 on the CPU", params_[i].name,
                values[i].shape().str(), dtype_name(values[i].dtype()),
                values[i].device().str(), params_[i].shape.str());
  finalize(Device::cpu(), 0, false, /*allocate=*/false);
  views_ = std::move(values);
  views_owner_ = std::move(owner);
}

Tensor ParamStore::values() const {
  MOEMT_CHECK(finalized_ && views_.empty(),
              "the flat parameter buffer of a store with per-parameter views (a memory-mapped "
              "model is for inference)");
  return values_;
}

void ParamStore::finalize(Device device, uint64_t seed, bool initialize) {
  finalize(device, seed, initialize, /*allocate=*/true);
}

void ParamStore::finalize(Device device, uint64_t seed, bool initialize, bool allocate) {
  MOEMT_CHECK(!finalized_, "ParamStore finalized twice");
  int64_t off = 0, full = 0;
  for (ParamGroup g : {ParamGroup::dense, ParamGroup::expert}) {
    for (auto& p : params_) {
      if (p.group != g) continue;
      p.full_offset = full;
      full += align_up(p.shape.numel());
      if (p.remote) continue;
      p.offset = off;
      off += align_up(p.shape.numel());
    }
    if (g == ParamGroup::dense) dense_total_ = off;
  }
  total_ = off;
  full_total_ = full;
  device_ = device;
  if (!allocate) {
    written_.assign(params_.size(), 0);
    finalized_ = true;
    return;
  }
  Tensor host = Tensor::zeros({total_}, DType::f32, Device::cpu());
  float* h = host.data<float>();
  RngStream base{seed, 0};
  if (initialize)
    for (auto& p : params_)
      if (!p.remote) init_values(h + p.offset, p.shape, p.init, base.sub(fnv1a64(p.name)));
  values_ = device.is_cpu() ? host : host.to(device);
  grads_ = Tensor::zeros({total_}, DType::f32, device);
  written_.assign(params_.size(), 0);
  eager_ = eager_ranges();
  finalized_ = true;
}

std::vector<std::pair<int64_t, int64_t>> ParamStore::eager_ranges() const {
  // Everything but the lazy parameters' slices (padding included), as few ranges as possible.
  std::vector<std::pair<int64_t, int64_t>> lazy;
  for (const auto& p : params_)
    if (p.lazy_grad && p.offset >= 0) lazy.push_back({p.offset, p.offset + p.shape.numel()});
  std::sort(lazy.begin(), lazy.end());
  std::vector<std::pair<int64_t, int64_t>> out;
  int64_t at = 0;
  for (auto [b, e] : lazy) {
    if (b > at) out.push_back({at, b});
    at = std::max(at, e);
  }
  if (total_ > at) out.push_back({at, total_});
  return out;
}

void ParamStore::set_lazy_grad(Param p) {
  MOEMT_CHECK(p.store == this, "set_lazy_grad: parameter of another store");
  params_.at(p.id).lazy_grad = true;
  if (finalized_) {
    written_[p.id] = generation_;  // what it holds now is this step's gradient
    eager_ = eager_ranges();
  }
}

void ParamStore::set_remote(Param p) {
  MOEMT_CHECK(p.store == this && !finalized_, "set_remote: another store's parameter, or late");
  ParamInfo& info = params_.at(p.id);
  MOEMT_CHECK(info.group == ParamGroup::expert, "set_remote({}): not an expert parameter",
              info.name);
  info.remote = true;
}

void ParamStore::zero_grad() {
  MOEMT_CHECK(finalized_ && views_.empty(), "ParamStore without gradients (not finalized, or views)");
  for (auto [b, e] : eager_) grads_.narrow(b, e - b).zero();
  ++generation_;
}

bool ParamStore::take_grad(int id) {
  const auto& p = params_.at(id);
  if (!p.lazy_grad || written_[id] == generation_) return false;
  written_[id] = generation_;
  return true;
}

void ParamStore::settle_grad(int id) const {
  const auto& p = params_[id];
  if (!p.lazy_grad || p.remote || written_[id] == generation_) return;
  grads_.narrow(p.offset, p.shape.numel()).zero();
  written_[id] = generation_;
}

Tensor ParamStore::grads() const {
  MOEMT_CHECK(finalized_ && views_.empty(), "ParamStore without gradients (not finalized, or views)");
  for (int id = 0; id < size(); ++id) settle_grad(id);
  return grads_;
}

int ParamStore::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? -1 : it->second;
}

Param ParamStore::get(const std::string& name) {
  int id = find(name);
  if (id < 0) throw Error("no parameter named '{}'", name);
  return Param{this, id};
}

Tensor ParamStore::value(int id) const {
  MOEMT_CHECK(finalized_, "ParamStore used before finalize");
  if (!views_.empty()) return views_.at(id);
  const auto& p = params_.at(id);
  MOEMT_CHECK(!p.remote, "{} is held by another rank (expert parallelism)", p.name);
  return values_.narrow(p.offset, p.shape.numel()).reshape(p.shape);
}

Tensor ParamStore::grad(int id) const {
  MOEMT_CHECK(finalized_ && views_.empty(), "ParamStore without gradients (not finalized, or views)");
  const auto& p = params_.at(id);
  MOEMT_CHECK(!p.remote, "{} is held by another rank (expert parallelism)", p.name);
  settle_grad(id);
  return grads_.narrow(p.offset, p.shape.numel()).reshape(p.shape);
}

void init_values(float* out, const Shape& shape, const InitSpec& init, RngStream rng) {
  int64_t n = shape.numel();
  switch (init.kind) {
    case InitSpec::zeros:
      for (int64_t i = 0; i < n; ++i) out[i] = 0.f;
      break;
    case InitSpec::ones:
      for (int64_t i = 0; i < n; ++i) out[i] = 1.f;
      break;
    case InitSpec::constant:
      for (int64_t i = 0; i < n; ++i) out[i] = init.a;
      break;
    case InitSpec::normal:
      for (int64_t i = 0; i < n; ++i) out[i] = init.a * rng.normal(i);
      break;
    case InitSpec::uniform:
      for (int64_t i = 0; i < n; ++i) out[i] = init.a * (2.f * rng.uniform(i) - 1.f);
      break;
    case InitSpec::xavier_uniform: {
      int64_t fan_in = shape.rank() >= 2 ? shape[-2] : shape[-1];
      int64_t fan_out = shape[-1];
      float bound = init.a * std::sqrt(6.f / static_cast<float>(fan_in + fan_out));
      for (int64_t i = 0; i < n; ++i) out[i] = bound * (2.f * rng.uniform(i) - 1.f);
      break;
    }
  }
}

}  // namespace moemt
