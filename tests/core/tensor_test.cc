// Tensor views, the caching allocator, device parsing and the device zeroing primitive.
#include "core/tensor.h"

#include <gtest/gtest.h>

#include <cstring>

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
  EXPECT_THROW(parse_device("tpu"), Error);
  EXPECT_THROW(parse_device("cuda:x"), Error);
  EXPECT_THROW(Tensor::empty({2}, DType::f32, Device::cuda(0)), Error);
}

}  // namespace moemt

namespace moemt {
namespace {
int g_zero_calls = 0, g_copy_calls = 0;
size_t g_zero_bytes = 0;
}  // namespace

// A device tensor is zeroed by the device's own primitive, never by uploading a host buffer
// (ParamStore::zero_grad runs this on the whole gradient buffer every step). A fake "CUDA"
// backend records the calls; the memory is host memory wrapped as a device tensor.
TEST(Tensor, ZeroOnADeviceUsesTheDevicePrimitive) {
  std::vector<float> mem(10, 1.f);
  Tensor t = Tensor::wrap(mem.data(), {10}, DType::f32, Device::cuda(0));
  EXPECT_THROW(t.zero(), Error);  // no backend registered: a clear error, not a host copy
  register_zero(DeviceKind::cuda, [](void* dst, Device, size_t bytes) {
    ++g_zero_calls;
    g_zero_bytes = bytes;
    std::memset(dst, 0, bytes);
  });
  register_copy(DeviceKind::cuda,
                [](void*, Device, const void*, Device, size_t) { ++g_copy_calls; });
  t.narrow(2, 5).zero();
  register_zero(DeviceKind::cuda, nullptr);
  register_copy(DeviceKind::cuda, nullptr);
  EXPECT_EQ(g_zero_calls, 1);
  EXPECT_EQ(g_zero_bytes, 5 * sizeof(float));
  EXPECT_EQ(g_copy_calls, 0);
  EXPECT_EQ(mem[1], 1.f);
  EXPECT_EQ(mem[2], 0.f);
  EXPECT_EQ(mem[6], 0.f);
  EXPECT_EQ(mem[7], 1.f);
}

}  // namespace moemt
