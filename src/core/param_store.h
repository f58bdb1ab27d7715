// ParamStore: every parameter is a named slice of one flat f32 buffer, with a twin flat buffer
// for gradients. Dense parameters come first and expert parameters after them, so one
// all-reduce covers the dense range and expert shards can be placed per rank.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"

namespace moemt {

enum class ParamGroup : uint8_t { dense, expert };

// How a parameter starts. Fan-in/fan-out for xavier are taken as (shape[-2], shape[-1])
// of a (in, out) weight.
struct InitSpec {
  enum Kind : uint8_t { zeros, ones, constant, normal, uniform, xavier_uniform } kind = zeros;
  float a = 0.f;  // normal: std; uniform: bound; constant: value; xavier: gain
  static InitSpec Zeros() { return {zeros, 0.f}; }
  static InitSpec Ones() { return {ones, 0.f}; }
  static InitSpec Constant(float v) { return {constant, v}; }
  static InitSpec Normal(float std) { return {normal, std}; }
  static InitSpec Uniform(float bound) { return {uniform, bound}; }
  static InitSpec Xavier(float gain = 1.f) { return {xavier_uniform, gain}; }
};

struct ParamInfo {
  std::string name;
  Shape shape;
  InitSpec init;
  ParamGroup group = ParamGroup::dense;
  int64_t offset = -1;  // in elements, into the flat buffers; set by finalize()
  bool lazy_grad = false;  // see ParamStore::set_lazy_grad
  // Expert parallelism (ParamStore::set_remote): held by another process, so offset stays -1;
  // full_offset is its place in the layout where every parameter is held (checkpoints').
  bool remote = false;
  int64_t full_offset = -1;
};

class ParamStore;

// A handle to one parameter; valid after the store is finalized.
struct Param {
  ParamStore* store = nullptr;
  int id = -1;
  Tensor w() const;  // the value, a view into the flat buffer
  Tensor g() const;  // its gradient, a view into the flat gradient buffer
  // What a GEMM reads: the store's compute copy (bf16 under --precision bfloat16) or, without
  // one, the value itself. Other ops (LayerNorm, embeddings, biases) read w().
  Tensor wc() const;
  bool defined() const { return store != nullptr; }
};

class ParamStore {
 public:
  // Registers a parameter; names must be unique. Only before finalize().
  Param add(const std::string& name, const Shape& shape, InitSpec init,
            ParamGroup group = ParamGroup::dense);
  // Lays out and allocates the flat buffers on `device` and initialises every parameter from
  // `seed`. Each parameter's values depend only on (seed, its name), not on the others.
  // initialize = false leaves the values zero, for a caller that loads every parameter next.
  void finalize(Device device, uint64_t seed, bool initialize = true);
  // Inference without a copy: lays out the parameters as finalize() does, but each value is
  // the given tensor (by id: CPU, f32, the parameter's shape), e.g. a view of a memory-mapped
  // file that `owner` keeps alive as long as the store lives. Such a store has no flat
  // buffers: values(), gradients and training need finalize().
  void finalize_views(std::vector<Tensor> values, std::shared_ptr<void> owner);
  // False after finalize_views().
  bool has_flat_buffers() const { return views_.empty(); }
  bool finalized() const { return finalized_; }

  int size() const { return static_cast<int>(params_.size()); }
  const ParamInfo& info(int id) const { return params_.at(id); }
  int find(const std::string& name) const;  // -1 if absent
  Param get(const std::string& name);       // throws Error if absent

  Tensor value(int id) const;
  // A parameter's gradient. A lazily zeroed gradient that is stale (see set_lazy_grad) is
  // zeroed first, so every reader and accumulator sees what zero_grad() promises.
  Tensor grad(int id) const;
  Tensor values() const;  // the whole flat buffer, (numel,)
  // The whole flat gradient buffer, every stale lazy gradient zeroed first.
  Tensor grads() const;
  int64_t numel() const { return total_; }
  int64_t dense_numel() const { return dense_total_; }  // [0, dense_numel) is the dense range
  Device device() const { return device_; }

  // Zeroes every gradient. Lazily zeroed ones are only marked stale: their owner overwrites
  // them with its first contribution (take_grad), and any other access zeroes them then.
  void zero_grad();
  // Large parameters whose owner writes their whole gradient once per step (expert weights)
  // skip the separate zeroing pass over memory: the owner's first GEMM writes with beta = 0.
  void set_lazy_grad(Param p);

  // Expert parallelism: an expert parameter another rank holds. Before finalize(); it then gets
  // no storage here (value() and grad() refuse it) but keeps its place in the full layout.
  void set_remote(Param p);
  bool resident(int id) const { return !params_.at(id).remote; }
  // The layout with every parameter held, as a one-process store lays it out: the flat
  // optimizer buffers of a checkpoint use it. Equals numel() without remote parameters.
  int64_t full_numel() const { return full_total_; }
  // The elements a parameter of `numel` values takes in the flat buffers (64-byte aligned).
  static int64_t slot(int64_t numel) { return (numel + 15) / 16 * 16; }
  // For the owner of a lazy gradient: true when the gradient is stale, i.e. the caller must
  // overwrite it instead of accumulating; either way it counts as written from now on.
  // Safe to call concurrently for different ids.
  bool take_grad(int id);

  // Mixed precision (param_store_compute.cc): a second copy of every value in a 16-bit type,
  // laid out as the flat buffer, that GEMMs read (Param::wc); the f32 values stay the master
  // weights that the optimizer updates and checkpoints hold. The store only holds the copy:
  // nn::refresh_compute_copy fills it (core calls no ops), once after every change of the
  // values. f32 drops the copy. Only after finalize.
  void set_compute_dtype(DType t);
  DType compute_dtype() const { return compute_.defined() ? compute_.dtype() : DType::f32; }
  // A parameter's compute copy, or value(id) without one.
  Tensor compute_value(int id) const;
  // The whole copy, (numel,), undefined without one.
  const Tensor& compute_values() const { return compute_; }

 private:
  void finalize(Device device, uint64_t seed, bool initialize, bool allocate);
  void settle_grad(int id) const;
  std::vector<std::pair<int64_t, int64_t>> eager_ranges() const;

  std::vector<ParamInfo> params_;
  std::unordered_map<std::string, int> by_name_;
  Tensor values_, grads_;
  Tensor compute_;             // set_compute_dtype(): the 16-bit copy of the values, or undefined
  std::vector<Tensor> views_;  // finalize_views(): each parameter's own tensor
  std::shared_ptr<void> views_owner_;
  int64_t total_ = 0, dense_total_ = 0, full_total_ = 0;
  Device device_;
  bool finalized_ = false;
  // Lazy gradients: the zero_grad generation each was last written in.
  uint64_t generation_ = 0;
  mutable std::vector<uint64_t> written_;
  std::vector<std::pair<int64_t, int64_t>> eager_;  // [begin, end) ranges zero_grad zeroes
};

// Fills a host f32 buffer according to an init spec, deterministically from the stream.
void init_values(float* out, const Shape& shape, const InitSpec& init, RngStream rng);

// 64-bit FNV-1a, used to derive per-name random streams.
uint64_t fnv1a64(const std::string& s);

}  // namespace moemt
