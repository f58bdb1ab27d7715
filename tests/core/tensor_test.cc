// Tensor views, the caching allocator, device parsing and the device zeroing primitive.
#include "core/tensor.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/cuda_runtime.h"

namespace moemt {

TEST(Tensor, ReshapeAndNarrowShareMemory) {
  Tensor t = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5}, {3, 2});
  Tensor r = t.reshape({2, -1});
  EXPECT_EQ(r.shape(), Shape({2, 3}));
  Tensor n = t.narrow(1, 2);
  EXPECT_EQ(n.shape(), Shape({2, 2}));
  EXPECT_EQ(n.to_vector(), (std::vector<float>{2, 3, 4, 5}));
  n.data<float>()[0] = 42.f;
  EXPECT_EQ(t.to_vector()[2], 42.f);
  EXPECT_THROW(t.reshape({4, 2}), InternalError);
  EXPECT_THROW(t.data<int32_t>(), InternalError);
}

// Empty tensors from empty vectors (a rank with no rows in an all-to-all, an empty shard):
// no memcpy from a null pointer, which UBSan (scripts/sanitize.sh) reports.
TEST(Tensor, FromEmptyVector) {
  Tensor f = Tensor::from_vector(std::vector<float>{}, {0, 4});
  Tensor i = Tensor::from_vector(std::vector<int32_t>{}, {0});
  EXPECT_EQ(f.numel(), 0);
  EXPECT_TRUE(i.to_ivector().empty());
}

TEST(Tensor, CloneIsDeep) {
  Tensor t = Tensor::from_vector(std::vector<int32_t>{1, 2, 3}, {3});
  Tensor c = t.clone();
  c.data<int32_t>()[0] = 7;
  EXPECT_EQ(t.to_ivector()[0], 1);
}

TEST(Allocator, ReusesFreedBlocks) {
  auto& alloc = allocator_for(Device::cpu());
  { Tensor warm = Tensor::empty({1000, 37}); }
  auto before = alloc.stats().system_allocs;
  for (int i = 0; i < 10; ++i) Tensor t = Tensor::empty({1000, 37});
  EXPECT_EQ(alloc.stats().system_allocs, before);
  EXPECT_GE(CachingAllocator::round_size(100001), 100001u);
  EXPECT_LE(CachingAllocator::round_size(100001), 100001u * 9 / 8 + 1);
}

TEST(Device, Parse) {
  EXPECT_EQ(parse_device("cpu"), Device::cpu());
  EXPECT_EQ(parse_device("cuda:1"), Device::cuda(1));
  EXPECT_EQ(parse_device("gpu2"), Device::cuda(2));
  EXPECT_EQ(parse_device("3"), Device::cuda(3));  // Marian's --devices 3
  EXPECT_THROW(parse_device("tpu"), Error);
  EXPECT_THROW(parse_device("cuda:x"), Error);
  // A device that is not there is a clear error (cuda:0 only where no GPU is visible).
  if (cuda_device_count() == 0) {
    EXPECT_THROW(Tensor::empty({2}, DType::f32, Device::cuda(0)), Error);
  }
  EXPECT_THROW(Tensor::empty({2}, DType::f32, Device::cuda(cuda_device_count())), Error);
}


// A device tensor is zeroed by the device's memset (core/cuda_runtime), never by uploading a
// host buffer (ParamStore::zero_grad runs this on the whole gradient buffer every step). Where
// no GPU is visible that is a clear error naming the device; the memory stays untouched.
TEST(Tensor, ZeroOnADeviceWithoutGpuIsAClearError) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU is visible";
  std::vector<float> mem(10, 1.f);
  Tensor t = Tensor::wrap(mem.data(), {10}, DType::f32, Device::cuda(0));
  try {
    t.narrow(2, 5).zero();
    FAIL() << "zeroed a CUDA tensor without a GPU";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cuda:0"), std::string::npos) << e.what();
  }
  EXPECT_EQ(mem[2], 1.f);
}

// --devices and allocation failures end in one line that names the device (tests run with and
// without a GPU: check.sh runs Device.* on the GPU machine).
TEST(Device, UnusableDeviceIsOneLineNamingIt) {
  EXPECT_NO_THROW(require_device(Device::cpu()));
  const int n = cuda_device_count();
  for (int i = 0; i < n; ++i) EXPECT_NO_THROW(require_device(Device::cuda(i)));
  try {
    require_device(Device::cuda(n));
    ADD_FAILURE() << "cuda:" << n << " accepted with " << n << " device(s) visible";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cuda:" + std::to_string(n)), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    if (n > 0)
      EXPECT_NE(m.find("only " + std::to_string(n) + " CUDA device(s) visible"), std::string::npos) << m;
    else
      EXPECT_TRUE(m.find("no CUDA device is visible") != std::string::npos ||
                  m.find("has no CUDA support") != std::string::npos)
          << m;
  }
  EXPECT_THROW(cuda_device_info(n), Error);
  for (int i = 0; i < n; ++i) {
    const CudaDeviceInfo d = cuda_device_info(i);
    EXPECT_FALSE(d.name.empty());
    EXPECT_GE(d.major, 1);
    EXPECT_GT(d.total_bytes, 0u);
    EXPECT_LE(d.free_bytes, d.total_bytes);
  }
}

TEST(Device, OutOfMemorySaysWhatWasAskedWhatIsFreeAndWhatToLower) {
  const std::string m =
      out_of_memory_message(1, size_t{3} << 30, size_t{1} << 29, size_t{80} << 30);
  EXPECT_NE(m.find("cuda:1: out of device memory: 3.0 GiB (3221225472 bytes) requested, "
                   "512.0 MiB free of 80.0 GiB"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("lower --mini-batch"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  if (cuda_device_count() == 0) return;
  // On a GPU: a petabyte request fails with that line, and the device stays usable.
  try {
    Tensor huge = Tensor::empty({int64_t{1} << 48}, DType::f32, Device::cuda(0));
    ADD_FAILURE() << "a 1 PiB tensor was allocated";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cuda:0: out of device memory: 1.0 PiB"),
              std::string::npos)
        << e.what();
  }
  Tensor small = Tensor::zeros({4}, DType::f32, Device::cuda(0));
  EXPECT_EQ(small.to(Device::cpu()).to_vector(), std::vector<float>(4, 0.f));
}

}  // namespace moemt
