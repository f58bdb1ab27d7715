// ParamStore: every parameter is a named slice of one flat f32 buffer, with a twin flat buffer
// for gradients. Dense parameters come first and expert parameters after them, so one
// all-reduce covers the dense range and expert shards can be placed per rank.
#pragma once

#include <cstdint>
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
};

class ParamStore;

// A handle to one parameter; valid after the store is finalized.
struct Param {
  ParamStore* store = nullptr;
  int id = -1;
  Tensor w() const;  // the value, a view into the flat buffer
  Tensor g() const;  // its gradient, a view into the flat gradient buffer
  bool defined() const { return store != nullptr; }
};

class ParamStore {
 public:
  // Registers a parameter; names must be unique. Only before finalize().
  Param add(const std::string& name, const Shape& shape, InitSpec init,
            ParamGroup group = ParamGroup::dense);
  // Lays out and allocates the flat buffers on `device` and initialises every parameter from
  // `seed`. Each parameter's values depend only on (seed, its name), not on the others.
  void finalize(Device device, uint64_t seed);
  bool finalized() const { return finalized_; }

  int size() const { return static_cast<int>(params_.size()); }
  const ParamInfo& info(int id) const { return params_.at(id); }
  int find(const std::string& name) const;  // -1 if absent
  Param get(const std::string& name);       // throws Error if absent

  Tensor value(int id) const;
  Tensor grad(int id) const;
  Tensor values() const { return values_; }  // the whole flat buffer, (numel,)
  Tensor grads() const { return grads_; }
  int64_t numel() const { return total_; }
  int64_t dense_numel() const { return dense_total_; }  // [0, dense_numel) is the dense range
  Device device() const { return device_; }
  void zero_grad() { grads_.zero(); }

 private:
  std::vector<ParamInfo> params_;
  std::unordered_map<std::string, int> by_name_;
  Tensor values_, grads_;
  int64_t total_ = 0, dense_total_ = 0;
  Device device_;
  bool finalized_ = false;
};

// Fills a host f32 buffer according to an init spec, deterministically from the stream.
void init_values(float* out, const Shape& shape, const InitSpec& init, RngStream rng);

// 64-bit FNV-1a, used to derive per-name random streams.
uint64_t fnv1a64(const std::string& s);

}  // namespace moemt
