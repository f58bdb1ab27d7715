// Decoding on cuda:0 against the CPU: greedy and beam-4 search of a tiny Transformer (dense and
// MoE, and a dense one with a 1500-token vocabulary for the wide-row top-k kernel) from the same
// parameters give the same tokens, and scores within 1e-4. Skips without a GPU (so far always:
// the CUDA code is compiled, not run on a GPU).
#include <gtest/gtest.h>

#include <cmath>

#include "core/cuda_runtime.h"
#include "decode/beam_search.h"
#include "model/seq2seq.h"
#include "decode/tiny_model.h"

namespace moemt::decode {
namespace {

model::ModelConfig parity_model(bool moe) {
  model::ModelConfig c = fixtures::tiny_model(moe);
  c.moe.encoder.router_init_std = c.moe.decoder.router_init_std = 0.5f;  // clear routing margins
  return c;
}

// The same hypotheses (tokens, order) on both devices, scores within 1e-4.
void expect_same_search(model::Model& mc, nn::Ctx& cc, model::Model& mg, nn::Ctx& gc,
                        const std::vector<std::vector<int32_t>>& src, const SearchOptions& o) {
  auto rc = beam_search(mc, cc, src, {0, 0, 1}, {1, 1, 0}, o);
  auto rg = beam_search(mg, gc, src, {0, 0, 1}, {1, 1, 0}, o);
  ASSERT_EQ(rg.size(), rc.size());
  for (size_t i = 0; i < rc.size(); ++i) {
    ASSERT_EQ(rg[i].size(), rc[i].size()) << i;
    for (size_t j = 0; j < rc[i].size(); ++j) {
      EXPECT_EQ(rg[i][j].tokens, rc[i][j].tokens) << i << " " << j;
      EXPECT_NEAR(rg[i][j].score, rc[i][j].score, 1e-4) << i << " " << j;
    }
  }
}

}  // namespace

TEST(CudaParity, GreedyAndBeamDecodingMatchCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Device gpu = Device::cuda(0);
  const std::vector<std::vector<int32_t>> src = {{4, 5, 6, 3}, {7, 3}, {8, 8, 5, 4, 6, 3}};
  for (bool moe : {false, true})
    for (int beam : {1, 4}) {
      SCOPED_TRACE(::testing::Message() << (moe ? "moe" : "dense") << " beam " << beam);
      model::Seq2Seq mc(parity_model(moe)), mg(parity_model(moe));
      mc.finalize(Device::cpu(), 3);
      mg.finalize(gpu, 3);
      nn::Ctx cc, gc;
      gc.device = gpu;
      SearchOptions o;
      o.beam_size = beam;
      o.n_best = beam;
      o.blocked_ids = {0, 2};
      o.max_length = 8;
      expect_same_search(mc, cc, mg, gc, src, o);
    }
}

// A vocabulary of 1024+ tokens takes ops::beam_topk's block-per-row CUDA kernel (the tiny
// model's 9 take the thread-per-row one): the same tokens again, greedy and beam 4.
TEST(CudaParity, WideVocabularyDecodingMatchesCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Device gpu = Device::cuda(0);
  const std::vector<std::vector<int32_t>> src = {{4, 5, 6, 3}, {7, 3}, {8, 8, 5, 4, 6, 3}};
  model::ModelConfig c = parity_model(false);
  c.vocab_size = 1500;
  for (int beam : {1, 4}) {
    SCOPED_TRACE(::testing::Message() << "beam " << beam);
    model::Seq2Seq mc(c), mg(c);
    mc.finalize(Device::cpu(), 7);
    mg.finalize(gpu, 7);
    nn::Ctx cc, gc;
    gc.device = gpu;
    SearchOptions o;
    o.beam_size = beam;
    o.n_best = beam;
    o.blocked_ids = {0, 2, 1400};
    o.max_length = 8;
    o.min_length = 2;
    expect_same_search(mc, cc, mg, gc, src, o);
  }
}

}  // namespace moemt::decode
