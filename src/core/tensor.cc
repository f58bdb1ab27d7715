// Tensor construction, views and host-side conversions.
#include "core/tensor.h"

#include <cstring>

#include "core/cuda_runtime.h"

namespace moemt {

Storage::Storage(size_t n, Device d) : device(d), stream(current_stream(d).handle) {
  ptr = allocator_for(d).allocate(n, &bytes, stream);
}
Storage::~Storage() { allocator_for(device).deallocate(ptr, bytes, stream, used_on); }

void copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t bytes) {
  if (bytes == 0) return;
  if (dst_dev.is_cpu() && src_dev.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
  cuda_copy(dst, dst_dev, src, src_dev, bytes);
}

void Tensor::record_stream(const Stream& s) {
  if (!storage_ || s.device.is_cpu() || s.handle == storage_->stream) return;
  for (void* h : storage_->used_on)
    if (h == s.handle) return;
  storage_->used_on.push_back(s.handle);
}

void zero_bytes(void* dst, Device dev, size_t bytes) {
  if (bytes == 0) return;
  if (dev.is_cpu()) {
    std::memset(dst, 0, bytes);
    return;
  }
  cuda_memset(dst, dev, 0, bytes);  // on the device's current stream, no host buffer
}

std::string Shape::str() const {
  std::string s = "(";
  for (int i = 0; i < rank_; ++i) s += (i ? "," : "") + std::to_string(d_[i]);
  return s + ")";
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  Tensor t;
  t.shape_ = shape;
  t.dtype_ = dtype;
  t.device_ = device;
  size_t n = static_cast<size_t>(shape.numel()) * dtype_size(dtype);
  t.storage_ = std::make_shared<Storage>(n == 0 ? 1 : n, device);
  t.data_ = t.storage_->ptr;
  return t;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.zero();
  return t;
}

Tensor Tensor::wrap(void* data, const Shape& shape, DType dtype, Device device) {
  Tensor t;
  t.data_ = data;
  t.shape_ = shape;
  t.dtype_ = dtype;
  t.device_ = device;
  return t;
}

Tensor Tensor::from_vector(const std::vector<float>& v, const Shape& shape) {
  MOEMT_CHECK(static_cast<int64_t>(v.size()) == shape.numel(), "{} values for shape {}", v.size(),
              shape.str());
  Tensor t = empty(shape, DType::f32);
  if (!v.empty()) std::memcpy(t.data_, v.data(), v.size() * sizeof(float));  // no null source
  return t;
}

Tensor Tensor::from_vector(const std::vector<int32_t>& v, const Shape& shape) {
  MOEMT_CHECK(static_cast<int64_t>(v.size()) == shape.numel(), "{} values for shape {}", v.size(),
              shape.str());
  Tensor t = empty(shape, DType::i32);
  if (!v.empty()) std::memcpy(t.data_, v.data(), v.size() * sizeof(int32_t));
  return t;
}

Tensor Tensor::reshape(Shape shape) const {
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < shape.rank(); ++i) {
    if (shape[i] == -1) {
      MOEMT_CHECK(infer < 0, "reshape {} has two -1 dims", shape.str());
      infer = i;
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) shape[infer] = known == 0 ? 0 : numel() / known;
  MOEMT_CHECK(shape.numel() == numel(), "cannot reshape {} to {}", shape_.str(), shape.str());
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

Tensor Tensor::narrow(int64_t start, int64_t len) const {
  MOEMT_CHECK(rank() >= 1 && start >= 0 && len >= 0 && start + len <= shape_[0],
              "narrow({}, {}) of {}", start, len, shape_.str());
  Tensor t = *this;
  t.shape_[0] = len;
  int64_t row = shape_[0] == 0 ? 0 : numel() / shape_[0];
  t.data_ = static_cast<char*>(data_) + start * row * static_cast<int64_t>(dtype_size(dtype_));
  return t;
}

Tensor Tensor::clone() const { return to(device_); }

Tensor Tensor::to(Device device) const {
  Tensor t = empty(shape_, dtype_, device);
  copy_bytes(t.data_, device, data_, device_, nbytes());
  return t;
}

void Tensor::copy_from(const Tensor& src) {
  MOEMT_CHECK(src.numel() == numel() && src.dtype_ == dtype_, "copy {} {} into {} {}",
              src.shape_.str(), dtype_name(src.dtype_), shape_.str(), dtype_name(dtype_));
  copy_bytes(data_, device_, src.data_, src.device_, nbytes());
}

void Tensor::zero() { zero_bytes(data_, device_, nbytes()); }

std::vector<float> Tensor::to_vector() const {
  MOEMT_CHECK(dtype_ == DType::f32, "to_vector needs f32, tensor is {}", dtype_name(dtype_));
  std::vector<float> v(static_cast<size_t>(numel()));
  copy_bytes(v.data(), Device::cpu(), data_, device_, nbytes());
  return v;
}

std::vector<int32_t> Tensor::to_ivector() const {
  MOEMT_CHECK(dtype_ == DType::i32, "to_ivector needs i32, tensor is {}", dtype_name(dtype_));
  std::vector<int32_t> v(static_cast<size_t>(numel()));
  copy_bytes(v.data(), Device::cpu(), data_, device_, nbytes());
  return v;
}

std::string Tensor::str(int max_items) const {
  std::string s = fmt::format("Tensor{} {} {} [", shape_.str(), dtype_name(dtype_), device_.str());
  int64_t n = std::min<int64_t>(numel(), max_items);
  if (dtype_ == DType::f32) {
    auto v = to_vector();
    for (int64_t i = 0; i < n; ++i) s += fmt::format("{}{:.6g}", i ? ", " : "", v[i]);
  } else if (dtype_ == DType::i32) {
    auto v = to_ivector();
    for (int64_t i = 0; i < n; ++i) s += fmt::format("{}{}", i ? ", " : "", v[i]);
  }
  return s + (numel() > n ? ", ...]" : "]");
}

}  // namespace moemt
