// The NCCL backend: the collectives suite with one rank (NCCL refuses two ranks on one GPU) and
// device tensors, on CUDA device 0 over a local bootstrap. Without NCCL in the build or without
// a GPU the suite skips; what runs everywhere is the error for a missing build or device.
#include <gtest/gtest.h>

#include "collectives_suite.h"
#include "core/cuda_runtime.h"

namespace moemt::dist::testing {
namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

struct NcclRanks {
  static void run(const RankFn& fn) {
    if (!nccl_built()) GTEST_SKIP() << "built without NCCL (MOEMT_NCCL=OFF)";
    if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
    auto boot = make_local(20);
    auto c = make_nccl(*boot, 0, 20);
    ASSERT_STREQ(c->backend(), "nccl");
    fn(*c);
  }
};
INSTANTIATE_TYPED_TEST_SUITE_P(Nccl, CollectivesTest, ::testing::Types<NcclRanks>);

TEST(NcclCommunicator, DeviceTensors) {
  NcclRanks::run([](Communicator& c) {
    const Device gpu = Device::cuda(0);
    ASSERT_TRUE(c.takes(gpu));
    Tensor x = Tensor::from_vector(std::vector<float>{1.5f, -2.f, 3.f}, {3}).to(gpu);
    c.all_reduce_sum(x, "step 1");
    EXPECT_EQ(x.to(Device::cpu()).to_vector(), (std::vector<float>{1.5f, -2.f, 3.f}));
    // 4 rows of 2 to itself: the rows come back in order, on the device.
    Tensor rows = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}, {4, 2}).to(gpu);
    std::vector<int64_t> recv_counts;
    Tensor got = c.all_to_all_v(rows, {4}, &recv_counts, "moe layer 0");
    EXPECT_EQ(got.device(), gpu);
    EXPECT_EQ(recv_counts, (std::vector<int64_t>{4}));
    EXPECT_EQ(got.to(Device::cpu()).to_vector(), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
    Tensor i = Tensor::from_vector(std::vector<int32_t>{7, 8}, {2}).to(gpu);
    c.broadcast(i, 0, "bcast");
    EXPECT_EQ(i.to(Device::cpu()).to_ivector(), (std::vector<int32_t>{7, 8}));
  });
}

TEST(NcclCommunicator, MissingBuildOrDeviceIsAClearError) {
  if (nccl_built() && cuda_device_count() > 0) GTEST_SKIP() << "a GPU is present";
  auto boot = make_local(20);
  try {
    make_nccl(*boot, 0, 20);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_TRUE(nccl_built() ? has(m, "CUDA device 0 does not exist (0 visible)")
                             : has(m, "built without NCCL"))
        << m;
  }
}

TEST(NcclCommunicator, OtherCommunicatorsStageDeviceTensorsThroughTheHost) {
  auto c = make_local(20);
  EXPECT_TRUE(c->takes(Device::cpu()));
  EXPECT_FALSE(c->stages(Device::cpu()));
  EXPECT_FALSE(c->takes(Device::cuda(0)));
  EXPECT_TRUE(c->stages(Device::cuda(0)));
}

}  // namespace
}  // namespace moemt::dist::testing
