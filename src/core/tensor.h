// Tensor: a contiguous, row-major view (pointer, shape, dtype, device) that may share ownership
// of a storage block from the caching allocator, or be a non-owning view (ParamStore slices).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/stream.h"

namespace moemt {

// A block from a device's caching allocator; returned to the allocator when the last
// Tensor referring to it goes away.
struct Storage {
  void* ptr = nullptr;
  size_t bytes = 0;
  Device device;
  void* stream = nullptr;        // the stream current when it was allocated
  std::vector<void*> used_on;    // other streams that used it (Tensor::record_stream)
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

// Tensors are always contiguous: views are reshape() and narrow() along the first dimension,
// which is all the layers need and keeps every kernel free of stride arithmetic.
class Tensor {
 public:
  Tensor() = default;
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  // A non-owning view of memory someone else keeps alive.
  static Tensor wrap(void* data, const Shape& shape, DType dtype, Device device = Device::cpu());
  static Tensor from_vector(const std::vector<float>& v, const Shape& shape);
  static Tensor from_vector(const std::vector<int32_t>& v, const Shape& shape);

  bool defined() const { return data_ != nullptr || shape_.numel() == 0; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t size(int dim) const { return shape_[dim]; }
  int64_t numel() const { return shape_.numel(); }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  void* raw() const { return data_; }
  template <typename T>
  T* data() const {
    MOEMT_CHECK(dtype_of<T>() == dtype_, "tensor is {}, not {}", dtype_name(dtype_),
                dtype_name(dtype_of<T>()));
    return static_cast<T*>(data_);
  }

  // Same memory, new shape with the same number of elements; -1 infers one dimension.
  Tensor reshape(Shape shape) const;
  // Rows [start, start+len) of the first dimension; shares memory.
  Tensor narrow(int64_t start, int64_t len) const;

  // Tells the allocator that stream `s` (not the one this tensor was allocated on) uses the
  // memory, so it is not reused before the work queued on `s` so far has finished.
  void record_stream(const Stream& s);

  Tensor clone() const;
  Tensor to(Device device) const;
  void copy_from(const Tensor& src);  // same shape (numel) and dtype, any devices
  // All bytes zero, on the tensor's device (no host buffer). Layers call ops::zero/ops::fill;
  // this is core's own primitive for Tensor::zeros and ParamStore::zero_grad.
  void zero();

  std::vector<float> to_vector() const;      // f32 -> host vector
  std::vector<int32_t> to_ivector() const;   // i32 -> host vector
  std::string str(int max_items = 8) const;  // for debugging and test messages

 private:
  std::shared_ptr<Storage> storage_;
  void* data_ = nullptr;
  Shape shape_;
  DType dtype_ = DType::f32;
  Device device_;
};

// Copies between devices (CUDA copies through core/cuda_runtime on the current stream).
void copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t bytes);

// Zeroes bytes in place on a device (memset, cudaMemsetAsync on the current stream).
void zero_bytes(void* dst, Device dev, size_t bytes);

// The one element of a 1-element tensor, read to the host: on a device this waits for the
// work that computes it, so callers name each such read and keep it rare (an optimizer's norm
// once per update, a loss once per display interval).
template <typename T>
T read_scalar(const Tensor& t) {
  MOEMT_CHECK(t.numel() == 1, "read_scalar of a tensor {} with {} elements", t.shape().str(),
              t.numel());
  T v{};
  copy_bytes(&v, Device::cpu(), t.data<T>(), t.device(), sizeof(T));
  return v;
}

}  // namespace moemt
