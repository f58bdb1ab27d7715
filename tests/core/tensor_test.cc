// Tensor views, the caching allocator and device parsing.
#include "core/tensor.h"

#include <gtest/gtest.h>

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
  // A device that is not there is a clear error (cuda:0 only where no GPU is visible).
  if (cuda_device_count() == 0) {
    EXPECT_THROW(Tensor::empty({2}, DType::f32, Device::cuda(0)), Error);
  }
  EXPECT_THROW(Tensor::empty({2}, DType::f32, Device::cuda(cuda_device_count())), Error);
}

}  // namespace moemt
