// --precision bfloat16 end to end on the corpus sample (the CPU's reference path): training
// tracks f32, the bf16 copy equals the cast of the f32 masters after every update, checkpoints
// and optimizer state stay f32, resuming continues exactly, and saves with smoothed weights
// swapped in and out leave training unchanged.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "core/safetensors.h"
#include "nn/precision.h"
#include "tiny_training.h"
#include "train/checkpoint.h"
#include "train/trainer.h"

namespace moemt::train {
namespace {

std::string fresh_dir(const std::string& name) {
  return testing::fresh_dir("moemt_precision", name);
}

TrainOptions bf16_options(const std::string& dir, bool moe) {
  TrainOptions o = testing::tiny_options(dir, moe);
  o.precision = DType::bf16;
  return o;
}

// True when the store's compute copy holds exactly the bf16 cast of its f32 values.
bool copy_is_fresh(const ParamStore& ps) {
  const Tensor& copy = ps.compute_values();
  if (!copy.defined() || copy.dtype() != DType::bf16) return false;
  Tensor want = nn::in_dtype(ps.values(), DType::bf16);
  return nn::in_dtype(copy, DType::f32).to_vector() == nn::in_dtype(want, DType::f32).to_vector();
}

}  // namespace

// 30 updates of the tiny MoE model: every update's loss within 0.02 nats of the f32 run's
// (measured: at most 1.4e-3), the loss falls as in f32, the bf16 copy is
// the cast of the masters after every update (checked from the clock hook, which the trainer
// reads once per update right after the optimizer step), and what is saved is f32.
TEST(MixedPrecisionTraining, Bf16TracksF32AndKeepsF32Masters) {
  const std::string d32 = fresh_dir("f32"), d16 = fresh_dir("bf16");
  auto o32 = testing::tiny_options(d32, true);
  o32.after = {Amount::updates, 30};
  const TrainResult r32 = Trainer(o32).run();

  auto o16 = bf16_options(d16, true);
  o16.after = {Amount::updates, 30};
  Trainer* trainer = nullptr;
  int checks = 0, stale = 0;
  o16.clock = [&] {
    if (trainer != nullptr) {
      ++checks;
      stale += !copy_is_fresh(trainer->model().params());
    }
    return std::chrono::steady_clock::now();
  };
  Trainer t16(o16);
  trainer = &t16;
  EXPECT_TRUE(copy_is_fresh(t16.model().params()));  // right after initialisation
  const TrainResult r16 = t16.run();
  EXPECT_EQ(checks, 31);  // the start and every update
  EXPECT_EQ(stale, 0);
  EXPECT_EQ(t16.model().params().values().dtype(), DType::f32);
  EXPECT_EQ(t16.model().params().grads().dtype(), DType::f32);

  ASSERT_EQ(r16.update_losses.size(), r32.update_losses.size());
  double worst = 0;
  for (size_t i = 0; i < r16.update_losses.size(); ++i)
    worst = std::max(worst, std::abs(r16.update_losses[i] - r32.update_losses[i]));
  EXPECT_LT(worst, 0.02);
  EXPECT_GT(worst, 0.0);  // bf16 rounding shows: the runs are not the same computation
  EXPECT_LT(r16.update_losses.back(), r16.update_losses.front() - 1.0);

  for (const char* file : {"model.safetensors", kOptimizerFile}) {
    const SafetensorsFile f = load_safetensors(d16 + "/" + file);
    ASSERT_FALSE(f.tensors.empty()) << file;
    for (const auto& [name, tensor] : f.tensors)
      EXPECT_EQ(tensor.dtype(), DType::f32) << file << " " << name;
  }
}

// 7 updates, then --resume to 14, equal bit for bit to 14 straight (the copy is refreshed from
// the loaded masters).
TEST(MixedPrecisionTraining, Bf16ResumeContinuesExactly) {
  const std::string a = fresh_dir("resume_a"), c = fresh_dir("resume_c");
  auto oa = bf16_options(a, true);
  oa.after = {Amount::updates, 7};
  Trainer(oa).run();
  auto ob = bf16_options(a, true);
  ob.after = {Amount::updates, 14};
  ob.resume = true;
  const TrainResult rb = Trainer(ob).run();
  auto oc = bf16_options(c, true);
  oc.after = {Amount::updates, 14};
  const TrainResult rc = Trainer(oc).run();
  ASSERT_EQ(rb.update_losses.size(), 7u);
  ASSERT_EQ(rc.update_losses.size(), 14u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(rb.update_losses[i], rc.update_losses[7 + i]) << i;
}

// With --exponential-smoothing every save swaps the averaged weights in and the raw ones back;
// the bf16 copy must follow both swaps, or the updates after a save would run on the average.
TEST(MixedPrecisionTraining, Bf16SavesWithSmoothingLeaveTrainingUnchanged) {
  std::vector<double> losses[2];
  for (int saving = 0; saving < 2; ++saving) {
    auto o = bf16_options(fresh_dir(saving ? "ema_saving" : "ema_plain"), false);
    o.exponential_smoothing = 0.3f;
    o.save_freq = {Amount::updates, saving ? 2 : 0};
    o.after = {Amount::updates, 8};
    losses[saving] = Trainer(o).run().update_losses;
  }
  EXPECT_EQ(losses[1], losses[0]);
}

}  // namespace moemt::train
