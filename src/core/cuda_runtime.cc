// CUDA runtime API calls for core (compiled by the host compiler against libcudart).
#include "core/cuda_runtime.h"

#include <memory>
#include <mutex>
#include <vector>

#include "core/error.h"
#include "core/memory.h"

namespace moemt {

std::string out_of_memory_message(int device, size_t requested, size_t free_bytes,
                                  size_t total_bytes) {
  return fmt::format(
      "cuda:{}: out of device memory: {} ({} bytes) requested, {} free of {} after releasing "
      "moemt's cached blocks; lower --mini-batch/--mini-batch-words or --max-length (train, "
      "eval) or --mini-batch/--beam-size (translate), or use a smaller model",
      device, format_bytes(static_cast<double>(requested)), requested,
      format_bytes(static_cast<double>(free_bytes)), format_bytes(static_cast<double>(total_bytes)));
}

}  // namespace moemt

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
      size_t free_bytes = 0, total_bytes = 0;
      cudaMemGetInfo(&free_bytes, &total_bytes);
      cudaGetLastError();
      throw Error("{}", out_of_memory_message(device_, bytes, free_bytes, total_bytes));
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

void require_device(Device d) {
  if (d.is_cpu()) return;
  const int n = cuda_device_count();
  if (n == 0)
    throw Error("device {}: no CUDA device is visible to this process (no GPU, no driver, or "
                "CUDA_VISIBLE_DEVICES hides them); use --devices cpu",
                d.str());
  if (d.index < 0 || d.index >= n)
    throw Error("device {}: only {} CUDA device(s) visible (cuda:0{})", d.str(), n,
                n > 1 ? fmt::format(" to cuda:{}", n - 1) : std::string());
}

CudaDeviceInfo cuda_device_info(int index) {
  require_device(Device::cuda(index));
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, index), "cudaGetDeviceProperties", index);
  CudaDeviceInfo info;
  info.name = prop.name;
  info.major = prop.major;
  info.minor = prop.minor;
  DeviceScope ds(index);
  check(cudaMemGetInfo(&info.free_bytes, &info.total_bytes), "cudaMemGetInfo", index);
  return info;
}

RawAllocator* cuda_raw_allocator(int index) {
  static std::mutex mu;
  static std::vector<std::unique_ptr<CudaRawAllocator>> by_index;
  std::lock_guard lk(mu);
  require_device(Device::cuda(index));
  const int n = cuda_device_count();
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
void require_device(Device d) {
  if (!d.is_cpu()) no_cuda(d.index);
}
CudaDeviceInfo cuda_device_info(int index) { no_cuda(index); }
RawAllocator* cuda_raw_allocator(int index) { no_cuda(index); }
void cuda_copy(void*, Device dst_dev, const void*, Device src_dev, size_t) {
  no_cuda(dst_dev.is_cpu() ? src_dev.index : dst_dev.index);
}
void cuda_memset(void*, Device device, int, size_t) { no_cuda(device.index); }
Stream cuda_create_stream(Device device) { no_cuda(device.index); }
void cuda_synchronize(Stream s) { no_cuda(s.device.index); }

}  // namespace moemt

#endif
