// Deployment: sub-models from `moemt extract` translate their languages exactly as the full
// model does and refuse the others; memory-mapped loading gives the same output as eager
// loading; learned group gates get a coverage measurement.
#include "deploy/extract.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "core/file_io.h"
#include "data/text.h"
#include "decode/translator.h"
#include "model/checkpoint.h"

namespace moemt::deploy {
namespace {

namespace fs = std::filesystem;

const std::string kFixtures = std::string(MOEMT_SOURCE_DIR) + "/tests/data/fixtures/";

// A vocabulary of three languages trained on the committed fixtures (~1 s).
const std::string& vocab_bytes() {
  static const std::string bytes = [] {
    data::VocabTrainOptions vo;
    vo.vocab_size = 400;
    vo.max_sentences = 200;
    return data::Vocab::train(
               std::map<std::string, std::vector<std::string>>{
                   {"eng_Latn", data::read_lines(kFixtures + "train.eng_Latn")},
                   {"deu_Latn", data::read_lines(kFixtures + "train.deu_Latn")},
                   {"spa_Latn", data::read_lines(kFixtures + "train.spa_Latn")}},
               vo)
        .serialized();
  }();
  return bytes;
}

// deu and eng share group 0, spa is group 1; 4 experts in 2 groups.
model::ModelConfig config(moe::GroupBy enc, moe::GroupBy dec) {
  model::ModelConfig c;
  c.vocab_size = data::Vocab::from_serialized(vocab_bytes(), "vocab").size();
  c.d_model = 16;
  c.heads = 2;
  c.ffn_dim = 32;
  c.enc_layers = 2;
  c.dec_layers = 2;
  c.languages = {"deu_Latn", "eng_Latn", "spa_Latn"};
  c.language_groups = {"Indo-European/Germanic", "Indo-European/Germanic", "Indo-European/Romance"};
  c.use_moe = true;
  for (int s = 0; s < 2; ++s) {
    moe::MoeConfig& m = s == 0 ? c.moe.encoder : c.moe.decoder;
    m.every = 1;
    m.num_experts = 4;
    m.top_k = 2;
    m.group_by = s == 0 ? enc : dec;
    m.num_groups = m.group_by == moe::GroupBy::none ? 1 : 2;
    if (m.group_by == moe::GroupBy::learned) m.top_k = 1;
  }
  return c;
}

struct TempDir {
  std::string path = fs::temp_directory_path() / ("moemt_extract_" + std::to_string(::getpid()) +
                                                  "_" + std::to_string(counter()++));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

std::string write_model(const model::ModelConfig& c, const std::string& dir) {
  auto m = model::make_model(c);
  m->finalize(Device::cpu(), 11);
  fs::create_directories(dir);
  model::save_model_files(dir, c, m->params(), vocab_bytes());
  return dir;
}

const std::vector<std::string> kSentences = {"The file could not be opened.", "Hello world.",
                                             "Save the document before closing.", "Good morning.",
                                             "Settings"};

// Best hypotheses (tokens and score bits) of the sentences from `src` into `tgt`.
std::vector<std::string> translate(decode::LoadedModel& m, const std::string& src,
                                   const std::string& tgt, int beam = 2) {
  decode::TranslatorOptions o;
  o.search.beam_size = beam;
  o.search.max_length = 8;
  decode::Translator tr(*m.model, m.vocab, o);
  std::vector<decode::TranslationInput> in;
  for (const auto& s : kSentences) in.push_back({s, m.src_lang_id(src), m.tgt_lang_id(tgt)});
  std::vector<std::string> out;
  for (const auto& x : tr.translate(in)) {
    std::string line = x.texts.at(0) + " |";
    for (int32_t t : x.nbest.at(0).tokens) line += " " + std::to_string(t);
    float score = x.nbest.at(0).score;
    uint32_t bits;
    std::memcpy(&bits, &score, 4);
    out.push_back(line + " | " + std::to_string(bits));
  }
  return out;
}

TEST(Extract, TargetGroupSubModelIsExactAndRefusesOtherTargets) {
  TempDir t;
  const std::string full_dir =
      write_model(config(moe::GroupBy::none, moe::GroupBy::tgt_family), t.path + "/full");
  decode::LoadedModel full = decode::load_model(full_dir);
  ExtractOptions opt;
  opt.langs = resolve_languages(full.model->config(), {"es"});
  ASSERT_EQ(opt.langs, std::vector<std::string>{"spa_Latn"});
  ExtractPlan plan = plan_extract(full, opt);
  EXPECT_TRUE(plan.exact);
  EXPECT_TRUE(plan.config.moe.encoder.kept_groups.empty());  // flat routing keeps every expert
  EXPECT_EQ(plan.config.moe.decoder.kept_groups, std::vector<int>{1});
  EXPECT_TRUE(plan.config.src_languages.empty());  // nothing routes by source
  EXPECT_EQ(plan.config.tgt_languages, std::vector<std::string>{"spa_Latn"});
  const ExtractSizes sub_sizes = write_submodel(full, plan, t.path + "/sub");
  const ExtractSizes full_sizes = model_sizes(full);
  EXPECT_LT(sub_sizes.params, full_sizes.params);
  EXPECT_LT(sub_sizes.file_bytes, full_sizes.file_bytes);
  // Two of the decoder's four experts per layer are gone, and the config says so.
  decode::LoadedModel sub = decode::load_model(t.path + "/sub");
  EXPECT_EQ(sub.model->config().parameter_count(), sub_sizes.params);
  EXPECT_EQ(sub.model->params().find("decoder.layers.0.moe.experts.0.w1"), -1);
  EXPECT_GE(sub.model->params().find("decoder.layers.0.moe.experts.3.w1"), 0);
  EXPECT_GE(sub.model->params().find("encoder.layers.0.moe.experts.0.w1"), 0);

  for (const char* src : {"eng_Latn", "deu_Latn"}) {
    EXPECT_EQ(translate(sub, src, "spa_Latn"), translate(full, src, "spa_Latn")) << src;
    EXPECT_EQ(translate(sub, src, "spa_Latn", 1), translate(full, src, "spa_Latn", 1)) << src;
  }
  try {
    sub.tgt_lang_id("de");
    FAIL() << "a target the sub-model does not serve was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not served by this sub-model as a target"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("spa_Latn"), std::string::npos) << e.what();
  }
  // Extracting languages the sub-model does not hold is refused too.
  ExtractOptions again;
  again.langs = {"deu_Latn"};
  EXPECT_THROW(plan_extract(sub, again), Error);
}

TEST(Extract, LstmModelSubModelIsExact) {
  TempDir t;
  model::ModelConfig c = config(moe::GroupBy::none, moe::GroupBy::tgt_family);
  c.type = model::ModelType::lstm;
  c.dim_rnn = 16;
  const std::string full_dir = write_model(c, t.path + "/full");
  decode::LoadedModel full = decode::load_model(full_dir);
  ExtractOptions opt;
  opt.langs = {"deu_Latn"};
  ExtractPlan plan = plan_extract(full, opt);
  EXPECT_EQ(plan.config.moe.decoder.kept_groups, std::vector<int>{0});
  write_submodel(full, plan, t.path + "/sub");
  decode::LoadedModel sub = decode::load_model(t.path + "/sub");
  EXPECT_LT(sub.model->params().numel(), full.model->params().numel());
  EXPECT_EQ(translate(sub, "eng_Latn", "deu_Latn"), translate(full, "eng_Latn", "deu_Latn"));
  EXPECT_THROW(sub.tgt_lang_id("spa_Latn"), Error);
}

TEST(Extract, SourceGroupSubModelNeedsItsSources) {
  TempDir t;
  const std::string full_dir =
      write_model(config(moe::GroupBy::src_family, moe::GroupBy::tgt_family), t.path + "/full");
  decode::LoadedModel full = decode::load_model(full_dir);
  ExtractOptions opt;
  opt.langs = resolve_languages(full.model->config(), {"deu_Latn", "eng"});
  ExtractPlan plan = plan_extract(full, opt);
  EXPECT_EQ(plan.config.moe.encoder.kept_groups, std::vector<int>{0});
  EXPECT_EQ(plan.config.moe.decoder.kept_groups, std::vector<int>{0});
  write_submodel(full, plan, t.path + "/sub");
  decode::LoadedModel sub = decode::load_model(t.path + "/sub");
  EXPECT_EQ(translate(sub, "eng_Latn", "deu_Latn"), translate(full, "eng_Latn", "deu_Latn"));
  EXPECT_EQ(translate(sub, "deu_Latn", "eng_Latn"), translate(full, "deu_Latn", "eng_Latn"));
  EXPECT_THROW(sub.src_lang_id("spa_Latn"), Error);
  EXPECT_THROW(sub.tgt_lang_id("spa_Latn"), Error);
  EXPECT_THROW(group_languages(full.model->config(), "Slavic"), Error);
  EXPECT_EQ(group_languages(full.model->config(), "Germanic"),
            (std::vector<std::string>{"deu_Latn", "eng_Latn"}));
}

TEST(Extract, LearnedGatesKeepTheSampledGroupsAndReportCoverage) {
  TempDir t;
  const std::string full_dir =
      write_model(config(moe::GroupBy::learned, moe::GroupBy::learned), t.path + "/full");
  decode::LoadedModel full = decode::load_model(full_dir);
  ExtractOptions opt;
  opt.langs = {"eng_Latn", "spa_Latn"};
  EXPECT_THROW(plan_extract(full, opt), Error);  // no sample
  const auto eng = data::read_lines(kFixtures + "train.eng_Latn");
  const auto spa = data::read_lines(kFixtures + "train.spa_Latn");
  for (size_t i = 0; i < 20 && i < eng.size(); ++i)
    opt.sample.push_back({eng[i], spa[i], "eng_Latn", "spa_Latn", 0, static_cast<int64_t>(i)});
  opt.min_group_share = 0.0;  // keep every group the gates picked at all
  ExtractPlan plan = plan_extract(full, opt);
  EXPECT_EQ(plan.sample_pairs, 20);
  ASSERT_EQ(plan.coverage.size(), 4u);  // 2 encoder + 2 decoder layers
  for (const auto& c : plan.coverage) {
    double sum = 0;
    for (double v : c.group_share) sum += v;
    EXPECT_NEAR(sum, 1.0, 1e-9) << c.layer;
    EXPECT_EQ(c.outside, 0.0) << c.layer;  // threshold 0 keeps every picked group
    EXPECT_GT(c.tokens, 0) << c.layer;
  }
  // A threshold no group reaches (unless it takes every token) leaves one group per stack;
  // each layer reports the tokens of the other group as leaving the sub-model.
  opt.min_group_share = 1.0;
  ExtractPlan tight = plan_extract(full, opt);
  EXPECT_FALSE(tight.exact);
  for (const auto* mc : {&tight.config.moe.encoder, &tight.config.moe.decoder})
    ASSERT_EQ(mc->kept_groups.size(), 1u);
  for (const auto& c : tight.coverage) {
    const int stack = c.layer.rfind("encoder", 0) == 0 ? 0 : 1;
    const int kept = tight.config.moe.stack(stack).kept_groups[0];
    EXPECT_NEAR(c.outside, 1.0 - c.group_share[kept], 1e-12) << c.layer;
  }
  write_submodel(full, tight, t.path + "/sub");
  decode::LoadedModel sub = decode::load_model(t.path + "/sub");
  EXPECT_EQ(translate(sub, "eng_Latn", "spa_Latn").size(), kSentences.size());  // runs
}

TEST(Extract, MemoryMappedLoadingGivesTheSameOutput) {
  TempDir t;
  const std::string dir =
      write_model(config(moe::GroupBy::none, moe::GroupBy::tgt_family), t.path + "/full");
  decode::LoadedModel eager = decode::load_model(dir);
  decode::LoadedModel mapped = decode::load_model(dir, Device::cpu(), decode::LoadMode::mmap);
  EXPECT_FALSE(mapped.model->params().has_flat_buffers());
  const ParamStore& a = eager.model->params();
  const ParamStore& b = mapped.model->params();
  ASSERT_EQ(a.size(), b.size());
  for (int i = 0; i < a.size(); ++i) EXPECT_EQ(a.value(i).to_vector(), b.value(i).to_vector());
  for (const char* tgt : {"spa_Latn", "deu_Latn"}) {
    EXPECT_EQ(translate(mapped, "eng_Latn", tgt), translate(eager, "eng_Latn", tgt));
    EXPECT_EQ(translate(mapped, "eng_Latn", tgt, 1), translate(eager, "eng_Latn", tgt, 1));
  }
  // The CPU loader's flat copy without gradients equals training's layout loaded as before.
  EXPECT_FALSE(eager.model->params().has_flat_buffers());
  decode::LoadedModel classic;
  classic.dir = dir;
  classic.vocab = data::Vocab::from_serialized(vocab_bytes(), "vocab");
  classic.model = model::make_model(eager.model->config());
  classic.model->finalize(Device::cpu(), 0, /*initialize=*/false);
  model::load_params(dir, classic.model->params());
  EXPECT_EQ(translate(classic, "eng_Latn", "spa_Latn"), translate(eager, "eng_Latn", "spa_Latn"));
  // The mapping outlives the loader: parameters stay readable after the file is gone.
  fs::remove(dir + "/" + model::kParamsFile);
  EXPECT_EQ(translate(mapped, "eng_Latn", "deu_Latn"), translate(eager, "eng_Latn", "deu_Latn"));
}

TEST(Extract, ConfigKeysRoundTripAndAreCheckedOnLoad) {
  model::ModelConfig c = config(moe::GroupBy::none, moe::GroupBy::tgt_family);
  c.moe.decoder.kept_groups = {1};
  c.tgt_languages = {"spa_Latn"};
  const std::string y = model::to_yaml(c);
  EXPECT_NE(y.find("kept-groups: [1]"), std::string::npos) << y;
  EXPECT_NE(y.find("tgt-languages: [spa_Latn]"), std::string::npos) << y;
  EXPECT_EQ(y.find("src-languages"), std::string::npos) << y;
  model::ModelConfig back = model::model_config_from_yaml(y, "config.yml");
  EXPECT_EQ(back.moe.decoder.kept_groups, std::vector<int>{1});
  EXPECT_EQ(back.tgt_languages, c.tgt_languages);
  EXPECT_EQ(model::to_yaml(back), y);
  // A full model's config.yml has none of the sub-model keys.
  EXPECT_EQ(
      model::to_yaml(config(moe::GroupBy::none, moe::GroupBy::tgt_family)).find("kept-groups"),
      std::string::npos);
  c.tgt_languages = {"fra_Latn"};
  EXPECT_THROW(c.validate(), Error);
  c.tgt_languages = {};
  c.moe.decoder.kept_groups = {2};
  EXPECT_THROW(c.validate(), Error);
}

}  // namespace
}  // namespace moemt::deploy
