// Shape: a small fixed-capacity list of dimensions, copied by value without allocating.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"

namespace moemt {

class Shape {
 public:
  static constexpr int kMaxDims = 6;
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) {
    MOEMT_CHECK(dims.size() <= kMaxDims, "too many dims: {}", dims.size());
    for (int64_t d : dims) d_[rank_++] = d;
  }
  explicit Shape(const std::vector<int64_t>& dims) {
    MOEMT_CHECK(dims.size() <= kMaxDims, "too many dims: {}", dims.size());
    for (int64_t d : dims) d_[rank_++] = d;
  }
  int rank() const { return rank_; }
  // Negative indices count from the back, as in numpy.
  int64_t operator[](int i) const { return d_[i < 0 ? i + rank_ : i]; }
  int64_t& operator[](int i) { return d_[i < 0 ? i + rank_ : i]; }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= d_[i];
    return n;
  }
  // Product of all dims but the last: the number of rows of a (rows, cols) view.
  int64_t rows() const { return rank_ == 0 ? 1 : numel() / (d_[rank_ - 1] == 0 ? 1 : d_[rank_ - 1]); }
  int64_t cols() const { return rank_ == 0 ? 1 : d_[rank_ - 1]; }
  std::vector<int64_t> vec() const { return {d_.begin(), d_.begin() + rank_}; }
  bool operator==(const Shape& o) const {
    if (rank_ != o.rank_) return false;
    for (int i = 0; i < rank_; ++i)
      if (d_[i] != o.d_[i]) return false;
    return true;
  }
  std::string str() const;

 private:
  std::array<int64_t, kMaxDims> d_{};
  int rank_ = 0;
};

}  // namespace moemt
