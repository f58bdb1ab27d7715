// Shared by the encoder and decoder layer tests: a small layer configuration, a dense GELU FFN
// block (smooth, so finite differences are clean) and a lengths tensor.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/feed_forward.h"
#include "nn/encoder_layer.h"  // LayerConfig

namespace moemt::nn::testing {

constexpr int64_t kD = 8;
constexpr double kTol = 3e-3;  // max |numeric - analytic| with eps 1e-2 in f32

inline LayerConfig layer_config(float dropout) {
  LayerConfig c;
  c.attention.d_model = kD;
  c.attention.heads = 2;
  c.attention.dropout = dropout;
  c.dropout = dropout;
  return c;
}

inline std::unique_ptr<FfnBlock> dense_ffn(ParamStore& store, const std::string& name,
                                           float dropout) {
  FeedForwardConfig f;
  f.d_model = kD;
  f.ffn_dim = 12;
  f.activation = ops::Activation::gelu;
  f.dropout = dropout;
  return std::make_unique<FeedForward>(store, name, f);
}

// The ops a Transformer layer calls, for MOEMT_NEEDS_KERNELS in device-parameterised tests.
#define MOEMT_LAYER_KERNELS                                                                   \
  MOEMT_NEEDS_KERNELS("gemm", "elementwise", "heads", "softmax", "dropout", "layer_norm",     \
                      "activation", "embedding", "fill")

inline Tensor lengths(std::vector<int32_t> v) {
  auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector(v, {n});
}

}  // namespace moemt::nn::testing
