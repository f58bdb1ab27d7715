// Tests for mini-batch generation: layout, token budget, bucketing, epochs, exact resume.
#include "data/batch.h"

#include <omp.h>

#include <algorithm>
#include <map>
#include <set>

#include "data/text.h"
#include "fixtures.h"

namespace moemt::data {
namespace {

using testing::error_of;
using testing::fixture;
using ::testing::HasSubstr;

// Synthetic samples with lengths from a fixed LCG: src = [tag] + pieces + [eos].
std::vector<Sample> synthetic(int n, int pairs = 2, uint64_t seed = 11) {
  std::vector<Sample> out;
  uint64_t x = seed;
  auto next = [&] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((x >> 33) % 40);
  };
  for (int i = 0; i < n; ++i) {
    Sample s;
    const int ls = 1 + next(), lt = 1 + next();
    std::vector<int32_t> p(ls);
    for (int k = 0; k < ls; ++k) p[k] = 10 + (i + k) % 50;
    s.src = encoder_input(4 + i % pairs, p, kEosId);
    for (int k = 0; k < lt; ++k) s.tgt.push_back(10 + (2 * i + k) % 50);
    s.src_lang = 0;
    s.tgt_lang = 1 + i % pairs;
    out.push_back(std::move(s));
  }
  return out;
}

BatchOptions small_options() {
  BatchOptions o;
  o.mini_batch_words = 200;
  o.maxi_batch = 4;
  o.seed = 42;
  o.max_length = 0;
  return o;
}

// All batches of `epochs` epochs as lists of sample ids; an empty list marks an epoch end.
std::vector<std::vector<int64_t>> run(BatchGenerator& g, int epochs) {
  std::vector<std::vector<int64_t>> out;
  Batch b;
  int ended = 0;
  while (ended < epochs) {
    if (g.next(b)) {
      out.push_back(b.sample_ids);
    } else {
      out.emplace_back();
      ++ended;
    }
  }
  return out;
}

TEST(Conventions, EncoderDecoderSequences) {
  EXPECT_EQ(encoder_input(7, {20, 21}, kEosId), (std::vector<int32_t>{7, 20, 21, kEosId}));
  EXPECT_EQ(encoder_input(-1, {20}, kEosId), (std::vector<int32_t>{20, kEosId}));
  EXPECT_EQ(decoder_input({20, 21}, kBosId), (std::vector<int32_t>{kBosId, 20, 21}));
  EXPECT_EQ(decoder_output({20, 21}, kEosId), (std::vector<int32_t>{20, 21, kEosId}));
}

TEST(MakeBatch, PaddedRowMajorLayout) {
  Sample a{{5, 10, 11, 3}, {20, 21, 22}, 0, 1};
  Sample b{{6, 12, 3}, {23}, 2, 3};
  Batch batch;
  BatchGenerator::make_batch({&a, &b}, SpecialIds{}, batch);
  EXPECT_EQ(batch.batch_size, 2);
  EXPECT_EQ(batch.src_len, 4);
  EXPECT_EQ(batch.tgt_len, 4);
  EXPECT_EQ(batch.src_ids, (std::vector<int32_t>{5, 10, 11, 3, 6, 12, 3, 0}));
  EXPECT_EQ(batch.tgt_in, (std::vector<int32_t>{2, 20, 21, 22, 2, 23, 0, 0}));
  EXPECT_EQ(batch.tgt_out, (std::vector<int32_t>{20, 21, 22, 3, 23, 3, 0, 0}));
  EXPECT_EQ(batch.src_lengths, (std::vector<int32_t>{4, 3}));
  EXPECT_EQ(batch.tgt_lengths, (std::vector<int32_t>{4, 2}));
  EXPECT_EQ(batch.src_lang, (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(batch.tgt_lang, (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(batch.src_tokens, 7);
  EXPECT_EQ(batch.tgt_tokens, 6);
}

TEST(ShardBatch, RowsRoundRobinRepadded) {
  Sample a{{5, 10, 11, 12, 3}, {20, 21, 22}, 0, 1};
  Sample b{{6, 12, 3}, {23}, 2, 3};
  Sample c{{7, 3}, {24, 25}, 4, 5};
  Batch full, s0, s1, s3;
  BatchGenerator::make_batch({&a, &b, &c}, SpecialIds{}, full);
  full.sample_ids = {10, 11, 12};
  shard_batch(full, 1, 2, s1);  // row 1 only
  Batch expect;
  BatchGenerator::make_batch({&b}, SpecialIds{}, expect);
  EXPECT_EQ(s1.batch_size, 1);
  EXPECT_EQ(s1.src_ids, expect.src_ids);
  EXPECT_EQ(s1.tgt_in, expect.tgt_in);
  EXPECT_EQ(s1.tgt_out, expect.tgt_out);
  EXPECT_EQ(s1.src_len, 3);
  EXPECT_EQ(s1.tgt_len, 2);
  EXPECT_EQ(s1.sample_ids, std::vector<int64_t>{11});
  shard_batch(full, 0, 2, s0);  // rows 0 and 2
  BatchGenerator::make_batch({&a, &c}, SpecialIds{}, expect);
  EXPECT_EQ(s0.src_ids, expect.src_ids);
  EXPECT_EQ(s0.tgt_out, expect.tgt_out);
  EXPECT_EQ(s0.tgt_lang, (std::vector<int32_t>{1, 5}));
  EXPECT_EQ(s0.src_tokens + s1.src_tokens, full.src_tokens);
  EXPECT_EQ(s0.tgt_tokens + s1.tgt_tokens, full.tgt_tokens);
  shard_batch(full, 3, 4, s3);  // more shards than rows: empty
  EXPECT_EQ(s3.batch_size, 0);
  EXPECT_TRUE(s3.src_ids.empty());
}

TEST(BatchGenerator, EpochVisitsEverySampleOnceWithinBudget) {
  BatchGenerator g(synthetic(300), small_options());
  Batch b;
  std::multiset<int64_t> seen;
  int batches = 0;
  while (g.next(b)) {
    ++batches;
    for (auto id : b.sample_ids) seen.insert(id);
    if (b.batch_size > 1) {
      EXPECT_LE(int64_t{b.batch_size} * std::max(b.src_len, b.tgt_len), 200);
    }
    int64_t nonpad = 0;
    for (int32_t t : b.tgt_out) nonpad += t != kPadId;
    EXPECT_EQ(nonpad, b.tgt_tokens);
    for (int r = 0; r < b.batch_size; ++r) {  // row r holds sample_ids[r]
      const Sample& s = g.samples()[b.sample_ids[r]];
      EXPECT_EQ(b.src_ids[r * b.src_len], s.src[0]);
      EXPECT_EQ(b.tgt_lengths[r], s.decoder_length());
    }
  }
  EXPECT_EQ(seen.size(), 300u);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 300u);
  EXPECT_GT(batches, 10);
  EXPECT_EQ(g.epoch(), 1);
  EXPECT_TRUE(g.next(b));  // the next epoch starts
}

TEST(BatchGenerator, DeterministicAndSeeded) {
  BatchGenerator a(synthetic(200), small_options()), b(synthetic(200), small_options());
  const auto ra = run(a, 2), rb = run(b, 2);
  EXPECT_EQ(ra, rb);
  BatchOptions o = small_options();
  o.seed = 43;
  BatchGenerator c(synthetic(200), o);
  EXPECT_NE(run(c, 2), ra);
  // Epochs differ from each other when shuffling.
  const auto end1 = std::find(ra.begin(), ra.end(), std::vector<int64_t>{});
  EXPECT_NE(std::vector<std::vector<int64_t>>(ra.begin(), end1),
            std::vector<std::vector<int64_t>>(end1 + 1, end1 + 1 + (end1 - ra.begin())));
}

TEST(BatchGenerator, NoShuffleIsInOrderWithinMaxiBatches) {
  BatchOptions o = small_options();
  o.shuffle = false;
  o.maxi_batch = 1;
  o.mini_batch_words = 1;  // one sample per batch
  BatchGenerator g(synthetic(20), o);
  const auto r = run(g, 1);
  ASSERT_EQ(r.size(), 21u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(r[i], std::vector<int64_t>{i});
}

TEST(BatchGenerator, ResumeGivesIdenticalBatches) {
  const auto data = synthetic(250, 3);
  BatchOptions o = small_options();
  o.data_temperature = 2.0;  // resume must also reproduce temperature sampling
  BatchGenerator full(data, o);
  const auto expected = run(full, 3);
  ASSERT_GT(expected.size(), 40u);
  // Stop after k steps (batches or epoch ends), checkpoint, restore in a fresh generator.
  for (size_t k : {size_t{0}, size_t{1}, size_t{2}, size_t{5}, size_t{17}, expected.size() / 3,
                   expected.size() / 3 + 1, expected.size() - 2}) {
    BatchGenerator first(data, o);
    Batch b;
    for (size_t i = 0; i < k; ++i) first.next(b);
    const nlohmann::json saved = first.position().to_json();
    BatchGenerator second(data, o);
    second.seek(Position::from_json(nlohmann::json::parse(saved.dump())));
    EXPECT_EQ(second.position(), first.position()) << "k=" << k;
    for (size_t i = k; i < expected.size(); ++i) {
      const bool ok = second.next(b);
      ASSERT_EQ(ok, !expected[i].empty()) << "k=" << k << " i=" << i;
      if (ok) {
        ASSERT_EQ(b.sample_ids, expected[i]) << "k=" << k << " i=" << i;
      }
    }
  }
}

TEST(BatchGenerator, PositionCountsBatchesAndEpochs) {
  BatchGenerator g(synthetic(100), small_options());
  const auto r = run(g, 2);
  const Position p = g.position();
  EXPECT_EQ(p.epoch, 2);
  EXPECT_EQ(p.offset, 0);
  EXPECT_EQ(p.batches, static_cast<int64_t>(r.size()) - 2);
}

TEST(BatchGenerator, SeekRejectsOtherDataOrOptions) {
  BatchGenerator g(synthetic(100), small_options());
  Batch b;
  g.next(b);
  const Position p = g.position();
  BatchOptions o = small_options();
  o.mini_batch_words = 300;
  BatchGenerator other(synthetic(100), o);
  EXPECT_THAT(error_of([&] { other.seek(p); }), HasSubstr("--mini-batch-words"));
  BatchGenerator other_data(synthetic(101), small_options());
  EXPECT_THAT(error_of([&] { other_data.seek(p); }), HasSubstr("cannot resume"));
  other.seek(p, /*strict=*/false);  // allowed: continues the same epoch
  EXPECT_EQ(other.epoch(), 0);
  EXPECT_TRUE(other.next(b));
}

TEST(BatchGenerator, PositionJsonErrors) {
  EXPECT_THAT(error_of([] { Position::from_json({{"epoch", 1}}); }), HasSubstr("'offset'"));
  nlohmann::json j = Position{1, 2, 3, 4, 0xabcdef}.to_json();
  EXPECT_EQ(Position::from_json(j), (Position{1, 2, 3, 4, 0xabcdef}));
  j["fingerprint"] = "xyz";
  EXPECT_THAT(error_of([&] { Position::from_json(j); }), HasSubstr("fingerprint"));
}

TEST(BatchGenerator, LengthBucketingReducesPadding) {
  auto padding = [](int maxi) {
    BatchOptions o = small_options();
    o.maxi_batch = maxi;
    BatchGenerator g(synthetic(400), o);
    Batch b;
    int64_t pad = 0;
    while (g.next(b)) pad += int64_t{b.batch_size} * b.tgt_len - b.tgt_tokens;
    return pad;
  };
  EXPECT_LT(padding(50), padding(1) / 2);
}

TEST(BatchGenerator, MiniBatchCapsSentences) {
  BatchOptions o = small_options();
  o.mini_batch = 3;
  o.mini_batch_words = 100000;
  BatchGenerator g(synthetic(50), o);
  Batch b;
  int n = 0;
  while (g.next(b)) {
    EXPECT_LE(b.batch_size, 3);
    n += b.batch_size;
  }
  EXPECT_EQ(n, 50);
}

TEST(BatchGenerator, MaxLengthDropsOrTruncates) {
  std::vector<Sample> s = {{{5, 10, 11, 12, 13, 3}, {20, 21}, 0, 1},  // encoder 6
                           {{5, 10, 3}, {20, 21, 22, 23, 24}, 0, 1},  // decoder 6
                           {{5, 10, 3}, {20}, 0, 1}};
  BatchOptions o = small_options();
  o.max_length = 5;
  BatchGenerator drop(s, o);
  EXPECT_EQ(drop.samples().size(), 1u);
  EXPECT_EQ(drop.dropped(), 2);
  o.truncate = true;
  BatchGenerator cut(s, o);
  ASSERT_EQ(cut.samples().size(), 3u);
  EXPECT_EQ(cut.truncated(), 2);
  EXPECT_EQ(cut.samples()[0].src, (std::vector<int32_t>{5, 10, 11, 12, 3}));  // tag..eos kept
  EXPECT_EQ(cut.samples()[1].tgt, (std::vector<int32_t>{20, 21, 22, 23}));    // + eos = 5
  o.truncate = false;
  o.max_length = 2;
  EXPECT_THAT(error_of([&] { BatchGenerator g(s, o); }), HasSubstr("no training samples"));
}

TEST(BatchGenerator, DataTemperatureBalancesPairs) {
  std::vector<Sample> s;
  for (int i = 0; i < 1000; ++i) s.push_back({{5, 10, 3}, {20}, 0, i < 900 ? 1 : 2});
  BatchOptions o = small_options();
  o.data_temperature = 5.0;
  BatchGenerator g(s, o);
  Batch b;
  std::map<int32_t, int> count;
  while (g.next(b))
    for (int32_t l : b.tgt_lang) ++count[l];
  EXPECT_EQ(count[1] + count[2], 1000);
  EXPECT_EQ(count[2], 392);  // round(1000 * 100^0.2 / (900^0.2 + 100^0.2))
}

TEST(BatchGenerator, BadOptionsAreErrors) {
  BatchOptions o = small_options();
  o.mini_batch_words = 0;
  EXPECT_THAT(error_of([&] { BatchGenerator g(synthetic(5), o); }),
              HasSubstr("--mini-batch-words"));
  o = small_options();
  o.data_temperature = 0;
  EXPECT_THAT(error_of([&] { BatchGenerator g(synthetic(5), o); }),
              HasSubstr("--data-temperature"));
}

TEST(EncodeExamples, TagEosAndLanguageIndexes) {
  std::map<std::string, std::vector<std::string>> texts = {
      {"eng_Latn", read_lines(fixture("train.eng_Latn"))},
      {"deu_Latn", read_lines(fixture("train.deu_Latn"))}};
  VocabTrainOptions vo;
  vo.vocab_size = 350;
  const Vocab v = Vocab::train(texts, vo);
  std::vector<Example> ex;
  for (size_t i = 0; i < texts["eng_Latn"].size(); ++i) {
    ex.push_back({texts["eng_Latn"][i], texts["deu_Latn"][i], "eng_Latn", "deu_Latn"});
    ex.push_back({texts["deu_Latn"][i], texts["eng_Latn"][i], "deu_Latn", "eng_Latn"});
  }
  const std::map<std::string, int32_t, std::less<>> index = {{"eng_Latn", 0}, {"deu_Latn", 1}};
  auto lang_index = [&](std::string_view l) { return index.find(l)->second; };
  omp_set_num_threads(1);
  const auto one = encode_examples(v, ex, lang_index);
  omp_set_num_threads(2);
  const auto two = encode_examples(v, ex, lang_index);
  ASSERT_EQ(one.size(), ex.size());
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].src, two[i].src);
    EXPECT_EQ(one[i].tgt, two[i].tgt);
  }
  EXPECT_EQ(one[0].src.front(), v.tag_id("deu_Latn"));
  EXPECT_EQ(one[0].src.back(), v.eos_id());
  EXPECT_EQ(one[1].src.front(), v.tag_id("eng_Latn"));
  EXPECT_EQ(one[0].src_lang, 0);
  EXPECT_EQ(one[0].tgt_lang, 1);
  EXPECT_EQ(v.decode(one[0].tgt), ex[0].tgt);
  EXPECT_EQ(v.decode(one[0].src), ex[0].src);  // tag and eos are dropped by decode
  // A target language without a tag is a clear error.
  std::vector<Example> bad = {{"a", "b", "eng_Latn", "fra_Latn"}};
  EXPECT_THAT(error_of([&] { encode_examples(v, bad, [](std::string_view) { return 0; }); }),
              HasSubstr("fra_Latn"));
}

}  // namespace
}  // namespace moemt::data
