// Beam search over the LSTM model (type lstm): a sentence's translation and score do not depend
// on the batch around it (64 sentences together equal each alone), dense and MoE.
#include <gtest/gtest.h>

#include "decode/beam_search.h"
#include "model/model.h"

namespace moemt::decode {
namespace {

model::ModelConfig tiny_lstm(bool moe) {
  model::ModelConfig c;
  c.type = model::ModelType::lstm;
  c.vocab_size = 11;
  c.d_model = 8;
  c.dim_rnn = 8;
  c.heads = 2;
  c.ffn_dim = 16;
  c.enc_layers = 3;
  c.dec_layers = 3;
  c.dropout = 0;
  c.languages = {"eng_Latn", "deu_Latn"};
  c.language_groups = {"Germanic", "Germanic"};
  c.use_moe = moe;
  c.moe.encoder.every = 1;
  c.moe.decoder.every = 1;
  return c;
}

TEST(LstmBeamSearch, Batch64EqualsBatch1) {
  // 64 sentences of lengths 1..8 built from ids 4..10 (3 = </s> ends each).
  std::vector<std::vector<int32_t>> src;
  std::vector<int32_t> src_lang, tgt_lang;
  for (int i = 0; i < 64; ++i) {
    std::vector<int32_t> s;
    for (int j = 0; j < 1 + i % 8; ++j) s.push_back(4 + (i * 7 + j * 3) % 7);
    s.push_back(3);
    src.push_back(s);
    src_lang.push_back(i % 2);
    tgt_lang.push_back(1 - i % 2);
  }
  for (bool moe : {false, true}) {
    auto m = model::make_model(tiny_lstm(moe));
    m->finalize(Device::cpu(), 4);
    nn::Ctx ctx;
    ctx.dropless = true;  // as translate does
    for (int beam : {1, 3}) {
      SearchOptions o;
      o.beam_size = beam;
      o.blocked_ids = {0, 2};
      o.max_length = 8;
      auto together = beam_search(*m, ctx, src, src_lang, tgt_lang, o);
      int nonempty = 0;
      for (size_t i = 0; i < src.size(); ++i) {
        auto alone = beam_search(*m, ctx, {src[i]}, {src_lang[i]}, {tgt_lang[i]}, o);
        EXPECT_EQ(alone[0][0].tokens, together[i][0].tokens) << "moe " << moe << " beam " << beam;
        EXPECT_NEAR(alone[0][0].score, together[i][0].score, 1e-4)
            << "moe " << moe << " beam " << beam;
        nonempty += !alone[0][0].tokens.empty();
      }
      EXPECT_GT(nonempty, 32);  // the comparison is not between empty outputs
    }
  }
}

}  // namespace
}  // namespace moemt::decode
