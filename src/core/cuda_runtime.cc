// CUDA runtime API calls for core (compiled by the host compiler against libcudart).
#include "core/cuda_runtime.h"

#include <memory>
#include <mutex>
#include <vector>

#include "core/error.h"

#ifdef MOEMT_WITH_CUDA
#include <cuda_runtime_api.h>

namespace moemt {

namespace {

void check(cudaError_t e, const char* what, int device) {
  if (e != cudaSuccess)
    throw Error("cuda:{}: {} failed: {}", device, what, cudaGetErrorString(e));
}

// Sets the device for the calling thread and restores the previous one.
struct DeviceScope {
  int prev = 0;
  explicit DeviceScope(int d) {
    cudaGetDevice(&prev);
    if (prev != d) check(cudaSetDevice(d), "cudaSetDevice", d);
  }
  ~DeviceScope() { cudaSetDevice(prev); }
};

class CudaRawAllocator : public RawAllocator {
 public:
  explicit CudaRawAllocator(int device) : device_(device) {}
  void* allocate(size_t bytes) override {
    DeviceScope ds(device_);
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, bytes);
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear the sticky error so the caller may retry
      throw Error("cuda:{}: out of device memory allocating {} bytes", device_, bytes);
    }
    check(e, "cudaMalloc", device_);
    return p;
  }
  void deallocate(void* p) override {
    DeviceScope ds(device_);
    cudaFree(p);
  }
  void* record_event(void* stream) override {
    DeviceScope ds(device_);
    cudaEvent_t ev;
    check(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming), "cudaEventCreate", device_);
    check(cudaEventRecord(ev, static_cast<cudaStream_t>(stream)), "cudaEventRecord", device_);
    return ev;
  }
  bool event_done(void* event) override {
    cudaError_t e = cudaEventQuery(static_cast<cudaEvent_t>(event));
    if (e == cudaErrorNotReady) return false;
    check(e, "cudaEventQuery", device_);
    return true;
  }
  void destroy_event(void* event) override { cudaEventDestroy(static_cast<cudaEvent_t>(event)); }

 private:
  int device_;
};

cudaStream_t stream_of(Device d) { return static_cast<cudaStream_t>(current_stream(d).handle); }

}  // namespace

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // no driver or no GPU: not an error for a CPU run
    return 0;
  }
  return n;
}

RawAllocator* cuda_raw_allocator(int index) {
  static std::mutex mu;
  static std::vector<std::unique_ptr<CudaRawAllocator>> by_index;
  std::lock_guard lk(mu);
  int n = cuda_device_count();
  if (index < 0 || index >= n)
    throw Error("device cuda:{} is not available ({} CUDA device(s) visible)", index, n);
  if (by_index.size() < static_cast<size_t>(n)) by_index.resize(n);
  if (!by_index[index]) by_index[index] = std::make_unique<CudaRawAllocator>(index);
  return by_index[index].get();
}

void cuda_copy(void* dst, Device dst_dev, const void* src, Device src_dev, size_t bytes) {
  Device d = dst_dev.is_cpu() ? src_dev : dst_dev;
  DeviceScope ds(d.index);
  cudaMemcpyKind kind = dst_dev.is_cpu() ? cudaMemcpyDeviceToHost
                        : src_dev.is_cpu() ? cudaMemcpyHostToDevice
                                           : cudaMemcpyDeviceToDevice;
  cudaStream_t s = stream_of(d);
  check(cudaMemcpyAsync(dst, src, bytes, kind, s), "cudaMemcpyAsync", d.index);
  if (kind != cudaMemcpyDeviceToDevice) check(cudaStreamSynchronize(s), "cudaStreamSynchronize", d.index);
}

void cuda_memset(void* dst, Device device, int value, size_t bytes) {
  DeviceScope ds(device.index);
  check(cudaMemsetAsync(dst, value, bytes, stream_of(device)), "cudaMemsetAsync", device.index);
}

Stream cuda_create_stream(Device device) {
  DeviceScope ds(device.index);
  cudaStream_t s;
  check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate", device.index);
  return {device, s};
}

void cuda_synchronize(Stream s) {
  DeviceScope ds(s.device.index);
  check(cudaStreamSynchronize(static_cast<cudaStream_t>(s.handle)), "cudaStreamSynchronize",
        s.device.index);
}

}  // namespace moemt

#else  // a build without CUDA: every device request is a clear error

namespace moemt {

namespace {
[[noreturn]] void no_cuda(int index) {
  throw Error("device cuda:{} requested, but this build of moemt has no CUDA support "
              "(configure with -DMOEMT_CUDA=ON on a machine with the CUDA toolkit)",
              index);
}
}  // namespace

int cuda_device_count() { return 0; }
RawAllocator* cuda_raw_allocator(int index) { no_cuda(index); }
void cuda_copy(void*, Device dst_dev, const void*, Device src_dev, size_t) {
  no_cuda(dst_dev.is_cpu() ? src_dev.index : dst_dev.index);
}
void cuda_memset(void*, Device device, int, size_t) { no_cuda(device.index); }
Stream cuda_create_stream(Device device) { no_cuda(device.index); }
void cuda_synchronize(Stream s) { no_cuda(s.device.index); }

}  // namespace moemt

#endif
