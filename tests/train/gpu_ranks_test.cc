// Several training ranks on one GPU (in-process thread ranks on cuda:0; their collectives stage
// device tensors through host memory, as MPI ranks sharing a GPU do): data-parallel and
// expert-parallel training follow the one-process GPU run. Skips without a GPU.
#include <gtest/gtest.h>

#include <thread>

#include "core/cuda_runtime.h"
#include "tiny_training.h"
#include "train/trainer.h"

namespace moemt::train {
namespace {

TrainOptions gpu_options(const std::string& dir) {
  TrainOptions o = testing::exact_moe_options(dir);
  o.device = Device::cuda(0);
  o.after = {Amount::updates, 4};
  return o;
}

std::string fresh_dir(const std::string& name) { return testing::fresh_dir("moemt_gpu_ranks", name); }

TEST(CudaRanks, DataAndExpertParallelTrainingOnOneGpuFollowOneProcess) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  const std::string ref_dir = fresh_dir("one");
  const TrainResult ref = Trainer(gpu_options(ref_dir)).run();
  ASSERT_EQ(ref.update_losses.size(), 4u);
  for (int ep : {1, 2}) {
    const std::string dir = fresh_dir("two_ep" + std::to_string(ep));
    auto comms = dist::make_thread_group(2, 60);
    std::vector<TrainResult> two(2);
    std::vector<std::string> errors(2);
    std::vector<std::thread> threads;
    for (int r = 0; r < 2; ++r)
      threads.emplace_back([&, r] {
        try {
          TrainOptions o = gpu_options(dir);
          o.vocab_path = ref_dir + "/vocab.spm";  // the one-process run's vocabulary
          o.expert_parallel = ep;
          two[r] = Trainer(o, "", comms[r].get()).run();
        } catch (const std::exception& e) {
          errors[r] = e.what();
        }
      });
    for (auto& t : threads) t.join();
    for (int r = 0; r < 2; ++r) ASSERT_EQ(errors[r], "") << "rank " << r << ", ep " << ep;
    ASSERT_EQ(two[0].update_losses.size(), 4u);
    // The tolerance of the CPU data-parallel tests (summation order only).
    for (int i = 0; i < 4; ++i)
      EXPECT_NEAR(two[0].update_losses[i], ref.update_losses[i], 1e-4) << "ep " << ep << " update " << i;
  }
}

}  // namespace
}  // namespace moemt::train
