// The tiny two-language Transformer that the decoding tests search with (dense or MoE).
#pragma once

#include "model/config.h"

namespace moemt::decode::fixtures {

inline model::ModelConfig tiny_model(bool moe) {
  model::ModelConfig c;
  c.vocab_size = 9;
  c.d_model = 8;
  c.heads = 2;
  c.ffn_dim = 16;
  c.enc_layers = 1;
  c.dec_layers = 2;
  c.dropout = 0;
  c.languages = {"eng_Latn", "deu_Latn"};
  c.language_groups = {"Germanic", "Germanic"};
  c.use_moe = moe;
  return c;
}

}  // namespace moemt::decode::fixtures
