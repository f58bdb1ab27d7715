// The collective checks every backend must pass, as a typed GoogleTest suite over "rank
// runners": a runner calls a function once per rank with that rank's communicator (local: once;
// threads: on N threads; MPI: once per process under mpirun). Instantiated in
// communicator_test.cc (local, threads) and mpi/mpi_test.cc (mpirun -np 2 and -np 3).
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <numeric>
#include <thread>

#include "core/cuda_runtime.h"
#include "dist/communicator.h"

namespace moemt::dist::testing {

using RankFn = std::function<void(Communicator&)>;

// Runs fn on each rank of an in-process group of N threads; rethrows the first exception.
inline void run_threads(int n, double timeout_s, const RankFn& fn) {
  auto comms = make_thread_group(n, timeout_s);
  std::vector<std::exception_ptr> errors(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r)
    threads.emplace_back([&, r] {
      try {
        fn(*comms[r]);
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

struct LocalRanks {
  static void run(const RankFn& fn) { fn(*make_local(20)); }
};
template <int N>
struct ThreadRanks {
  static void run(const RankFn& fn) { run_threads(N, 20, fn); }
};

template <typename Runner>
class CollectivesTest : public ::testing::Test {};
TYPED_TEST_SUITE_P(CollectivesTest);

TYPED_TEST_P(CollectivesTest, RankAndSize) {
  TypeParam::run([](Communicator& c) {
    ASSERT_GE(c.size(), 1);
    ASSERT_GE(c.rank(), 0);
    ASSERT_LT(c.rank(), c.size());
    double v[2] = {static_cast<double>(c.rank()), 1.0};
    c.all_reduce_sum(v, 2, "rank sum");
    EXPECT_EQ(v[0], c.size() * (c.size() - 1) / 2.0);
    EXPECT_EQ(v[1], c.size());
  });
}

TYPED_TEST_P(CollectivesTest, AllReduceTensor) {
  TypeParam::run([](Communicator& c) {
    const int n = c.size();
    // x[i] = (rank + 1) * 0.5 + i: exact in f32, so the sum is exact too.
    std::vector<float> v(1000);
    for (size_t i = 0; i < v.size(); ++i) v[i] = (c.rank() + 1) * 0.5f + static_cast<float>(i);
    Tensor x = Tensor::from_vector(v, {10, 100});
    c.all_reduce_sum(x, "step 1");
    auto got = x.to_vector();
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(got[i], 0.5f * n * (n + 1) / 2 + static_cast<float>(n * i)) << "element " << i;
    // Empty reductions are legal.
    Tensor e = Tensor::zeros({0});
    c.all_reduce_sum(e, "empty");
  });
}

TYPED_TEST_P(CollectivesTest, Broadcast) {
  TypeParam::run([](Communicator& c) {
    for (int root : {0, c.size() - 1}) {
      std::vector<int32_t> v(7, c.rank() == root ? 40 + root : -1);
      Tensor x = Tensor::from_vector(v, {7});
      c.broadcast(x, root, "bcast");
      for (int32_t got : x.to_ivector()) EXPECT_EQ(got, 40 + root);
    }
    std::string s = c.rank() == 0 ? "vocabulary bytes \x01\x02" : "";
    broadcast_string(c, s, 0, "string");
    EXPECT_EQ(s, "vocabulary bytes \x01\x02");
  });
}

TYPED_TEST_P(CollectivesTest, Barrier) {
  TypeParam::run([](Communicator& c) {
    for (int i = 0; i < 5; ++i) c.barrier("barrier loop");
  });
}

TYPED_TEST_P(CollectivesTest, AllToAllUnevenAndZeroCounts) {
  TypeParam::run([](Communicator& c) {
    const int n = c.size(), me = c.rank();
    const int64_t d = 3;
    // Rank s sends (s + 2 t) % 3 rows to rank t: uneven, and 0 for some pairs.
    auto count = [](int s, int t) { return static_cast<int64_t>((s + 2 * t) % 3); };
    // Row j to rank t from rank s holds (s, t, j).
    std::vector<int64_t> send_counts(n);
    std::vector<float> rows;
    for (int t = 0; t < n; ++t) {
      send_counts[t] = count(me, t);
      for (int64_t j = 0; j < send_counts[t]; ++j) rows.insert(rows.end(), {float(me), float(t), float(j)});
    }
    Tensor send = Tensor::from_vector(rows, {static_cast<int64_t>(rows.size()) / d, d});
    std::vector<int64_t> recv_counts;
    Tensor recv = c.all_to_all_v(send, send_counts, &recv_counts, "moe layer 0");
    ASSERT_EQ(static_cast<int>(recv_counts.size()), n);
    int64_t m = 0;
    for (int s = 0; s < n; ++s) {
      EXPECT_EQ(recv_counts[s], count(s, me)) << "from rank " << s;
      m += recv_counts[s];
    }
    ASSERT_EQ(recv.size(0), m);
    ASSERT_EQ(recv.size(1), d);
    auto got = recv.to_vector();
    int64_t row = 0;
    for (int s = 0; s < n; ++s)
      for (int64_t j = 0; j < count(s, me); ++j, ++row) {
        EXPECT_EQ(got[row * d + 0], s);
        EXPECT_EQ(got[row * d + 1], me);
        EXPECT_EQ(got[row * d + 2], j);
      }
    // All counts zero.
    std::vector<int64_t> zeros(n, 0);
    Tensor none = c.all_to_all_v(Tensor::zeros({0, d}), zeros, &recv_counts, "empty");
    EXPECT_EQ(none.size(0), 0);
  });
}

TYPED_TEST_P(CollectivesTest, GatherAndCheckSame) {
  TypeParam::run([](Communicator& c) {
    std::string mine(c.rank() + 1, static_cast<char>('a' + c.rank()));
    auto all = gather_strings(c, mine, 0, "gather");
    if (c.rank() == 0) {
      ASSERT_EQ(static_cast<int>(all.size()), c.size());
      for (int r = 0; r < c.size(); ++r)
        EXPECT_EQ(all[r], std::string(r + 1, static_cast<char>('a' + r)));
    } else {
      EXPECT_TRUE(all.empty());
    }
    // Keys "a", "b", "a", ... -> ids 0, 1, 0, ... on every rank.
    std::vector<int> want;
    for (int r = 0; r < c.size(); ++r) want.push_back(r % 2);
    EXPECT_EQ(key_ids(c, c.rank() % 2 ? "b" : "a", "keys"), want);
    check_same(c, 1234, "checksum", "start");
    if (c.size() > 1) {
      try {
        check_same(c, c.rank() == c.size() - 1 ? 99 : 1234, "the parameter checksum", "start");
        ADD_FAILURE() << "differing values were not reported";
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("the parameter checksum differs"), std::string::npos)
            << e.what();
      }
    }
  });
}

TYPED_TEST_P(CollectivesTest, Split) {
  TypeParam::run([](Communicator& c) {
    // Two groups by parity, ranked in reverse of the world order (key = -rank).
    auto sub = c.split(c.rank() % 2, -c.rank(), "split");
    int members = 0, my_index = 0;
    for (int r = 0; r < c.size(); ++r)
      if (r % 2 == c.rank() % 2) {
        ++members;
        if (r > c.rank()) ++my_index;
      }
    EXPECT_EQ(sub->size(), members);
    EXPECT_EQ(sub->rank(), my_index);
    double v = c.rank();
    sub->all_reduce_sum(&v, 1, "sub sum");
    double want = 0;
    for (int r = c.rank() % 2; r < c.size(); r += 2) want += r;
    EXPECT_EQ(v, want);
    sub->barrier("sub barrier");
    c.barrier("after split");
  });
}

TYPED_TEST_P(CollectivesTest, StartedAllReduces) {
  // Sums started one after another (one empty, one over several pieces of a buffer) complete in
  // finish_all_reduces; a blocking collective may run while they are pending.
  TypeParam::run([](Communicator& c) {
    const int n = c.size();
    std::vector<float> v(300);
    for (size_t i = 0; i < v.size(); ++i) v[i] = (c.rank() + 1) * 0.25f + static_cast<float>(i);
    Tensor buf = Tensor::from_vector(v, {300});
    Tensor other = Tensor::from_vector(std::vector<float>{1.f, 2.f}, {2});
    c.reset_traffic();
    c.start_all_reduce_sum(buf.narrow(200, 100), "bucket 0");
    c.start_all_reduce_sum(Tensor::zeros({0}), "empty bucket");
    c.progress();
    double ranks = 1;
    c.all_reduce_sum(&ranks, 1, "between");
    EXPECT_EQ(ranks, n);
    c.start_all_reduce_sum(buf.narrow(0, 200), "bucket 1");
    c.start_all_reduce_sum(other, "bucket 2");
    c.progress();
    c.finish_all_reduces("update 1");
    auto got = buf.to_vector();
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(got[i], 0.25f * n * (n + 1) / 2 + static_cast<float>(n * i)) << "element " << i;
    EXPECT_EQ(other.to_vector(), (std::vector<float>{1.f * n, 2.f * n}));
    EXPECT_EQ(c.traffic().all_reduce_bytes, n > 1 ? 302 * 4 : 0);
    c.finish_all_reduces("nothing started");
  });
}

TYPED_TEST_P(CollectivesTest, DeviceTensors) {
  // Tensors on cuda:0 with every backend: natively (NCCL) or staged through host memory
  // (local, threads, MPI: several ranks may share the GPU). Results stay on the device.
  if (cuda_device_count() == 0) GTEST_SKIP() << "no GPU";
  TypeParam::run([](Communicator& c) {
    const Device gpu = Device::cuda(0);
    const int n = c.size(), me = c.rank();
    EXPECT_TRUE(c.takes(gpu) || c.stages(gpu));
    Tensor x = Tensor::from_vector(std::vector<float>{1.5f * (me + 1), -2.f, 3.f}, {3}).to(gpu);
    c.all_reduce_sum(x, "step 1");
    EXPECT_EQ(x.device(), gpu);
    EXPECT_EQ(x.to(Device::cpu()).to_vector(),
              (std::vector<float>{0.75f * n * (n + 1), -2.f * n, 3.f * n}));
    // me + t + 1 rows of width 2 from rank me to rank t, row j holding (me, j).
    std::vector<int64_t> send_counts(n);
    std::vector<float> rows;
    for (int t = 0; t < n; ++t) {
      send_counts[t] = me + t + 1;
      for (int j = 0; j < me + t + 1; ++j) rows.insert(rows.end(), {float(me), float(j)});
    }
    Tensor send = Tensor::from_vector(rows, {static_cast<int64_t>(rows.size()) / 2, 2}).to(gpu);
    std::vector<int64_t> recv_counts;
    Tensor got = c.all_to_all_v(send, send_counts, &recv_counts, "moe layer 0");
    EXPECT_EQ(got.device(), gpu);
    std::vector<float> want;
    for (int s = 0; s < n; ++s)
      for (int j = 0; j < s + me + 1; ++j) want.insert(want.end(), {float(s), float(j)});
    EXPECT_EQ(got.to(Device::cpu()).to_vector(), want);
    Tensor y = Tensor::from_vector(std::vector<float>{1.f, float(me)}, {2}).to(gpu);
    c.start_all_reduce_sum(y, "bucket 0");
    c.finish_all_reduces("update 1");
    EXPECT_EQ(y.to(Device::cpu()).to_vector(), (std::vector<float>{1.f * n, 0.5f * n * (n - 1)}));
    Tensor i = Tensor::from_vector(std::vector<int32_t>{7 + me, 8}, {2}).to(gpu);
    c.broadcast(i, n - 1, "bcast");
    EXPECT_EQ(i.to(Device::cpu()).to_ivector(), (std::vector<int32_t>{7 + n - 1, 8}));
  });
}

REGISTER_TYPED_TEST_SUITE_P(CollectivesTest, RankAndSize, AllReduceTensor, Broadcast, Barrier,
                            AllToAllUnevenAndZeroCounts, GatherAndCheckSame, Split,
                            StartedAllReduces, DeviceTensors);

}  // namespace moemt::dist::testing
