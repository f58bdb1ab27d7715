// Translator batching: it always makes progress (any --mini-batch), and inputs that encode to
// nothing (empty or whitespace-only lines) give empty outputs without reaching the model.
#include "decode/translator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "data/text.h"
#include "model/seq2seq.h"

namespace moemt::decode {
namespace {

struct TinySetup {
  data::Vocab vocab;
  std::unique_ptr<model::Seq2Seq> model;
};

// A vocabulary trained on the committed fixtures (~1 s) and a randomly initialised model.
TinySetup& setup() {
  static TinySetup* s = [] {
    auto* t = new TinySetup;
    const std::string dir = std::string(MOEMT_SOURCE_DIR) + "/tests/data/fixtures/";
    data::VocabTrainOptions vo;
    vo.vocab_size = 400;
    vo.max_sentences = 200;
    t->vocab = data::Vocab::train(
        std::map<std::string, std::vector<std::string>>{
            {"eng_Latn", data::read_lines(dir + "train.eng_Latn")},
            {"deu_Latn", data::read_lines(dir + "train.deu_Latn")}},
        vo);
    model::ModelConfig c;
    c.vocab_size = t->vocab.size();
    c.d_model = 16;
    c.heads = 2;
    c.ffn_dim = 32;
    c.enc_layers = 1;
    c.dec_layers = 1;
    c.languages = {"deu_Latn", "eng_Latn"};
    t->model = std::make_unique<model::Seq2Seq>(c);
    t->model->finalize(Device::cpu(), 5);
    return t;
  }();
  return *s;
}

TranslatorOptions options(int mini_batch, int64_t mini_batch_words = 2048) {
  TranslatorOptions o;
  o.search.beam_size = 2;
  o.search.max_length = 5;
  o.mini_batch = mini_batch;
  o.mini_batch_words = mini_batch_words;
  return o;
}

const std::vector<TranslationInput> kInputs = {
    {"Hello world.", 1, 0}, {"", 1, 0}, {"   ", 1, 0}, {"Good morning.", 1, 0}, {" \t ", 1, 0}};

}  // namespace

TEST(Translator, WhitespaceOnlyInputsGiveEmptyOutputs) {
  auto& s = setup();
  Translator tr(*s.model, s.vocab, options(64));
  auto out = tr.translate(kInputs);
  ASSERT_EQ(out.size(), kInputs.size());
  for (size_t i : {1, 2, 4}) {
    EXPECT_TRUE(out[i].nbest.empty()) << "input " << i;
    EXPECT_EQ(out[i].texts, std::vector<std::string>{""}) << "input " << i;
  }
  for (size_t i : {0, 3}) EXPECT_FALSE(out[i].nbest.empty()) << "input " << i;
}

// A batch limit of 0 (or a token budget smaller than one sentence) used to loop forever on an
// empty batch; the child process is killed by the alarm if it still does.
TEST(Translator, ZeroBatchLimitsStillTranslateEverySentence) {
  auto& s = setup();
  auto expected = Translator(*s.model, s.vocab, options(1)).translate(kInputs);
  for (auto [mb, words] : {std::pair<int, int64_t>{0, 2048}, {-1, 2048}, {64, 1}, {0, 0}}) {
    EXPECT_EXIT(
        {
          alarm(20);
          auto out = Translator(*s.model, s.vocab, options(mb, words)).translate(kInputs);
          bool same = out.size() == expected.size();
          for (size_t i = 0; same && i < out.size(); ++i) same = out[i].texts == expected[i].texts;
          std::exit(same ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "")
        << "--mini-batch " << mb << " --mini-batch-words " << words;
  }
}

}  // namespace moemt::decode
