// Communicator::traffic(): payload bytes of the Tensor collectives, and the part of the
// all-to-all bytes that goes to ranks on other nodes (set_nodes).
#include <gtest/gtest.h>

#include <thread>

#include "dist/communicator.h"

namespace moemt::dist {
namespace {

TEST(Traffic, CountsPayloadAndInterNodeBytes) {
  // 4 ranks on 2 nodes ({0, 1} and {2, 3}); rank r sends r + 1 rows of 3 floats to every rank.
  auto comms = make_thread_group(4, 30);
  std::vector<Communicator::Traffic> t(4);
  std::vector<std::thread> threads;
  for (int r = 0; r < 4; ++r)
    threads.emplace_back([&, r] {
      Communicator& c = *comms[r];
      c.set_nodes({0, 0, 1, 1});
      std::vector<float> v(4 * (r + 1) * 3, 1.f);
      Tensor send = Tensor::from_vector(v, {4 * (r + 1), 3});
      c.all_to_all_v(send, std::vector<int64_t>(4, r + 1), nullptr, "step 1");
      Tensor g = Tensor::zeros({10}, DType::f32, Device::cpu());
      c.all_reduce_sum(g, "step 1");
      t[r] = c.traffic();
    });
  for (auto& th : threads) th.join();
  for (int r = 0; r < 4; ++r) {
    const int64_t row = 3 * sizeof(float);
    EXPECT_EQ(t[r].all_to_all_bytes, 3 * (r + 1) * row) << "rank " << r;  // not to itself
    EXPECT_EQ(t[r].all_to_all_inter_node_bytes, 2 * (r + 1) * row) << "rank " << r;
    EXPECT_EQ(t[r].all_reduce_bytes, 10 * static_cast<int64_t>(sizeof(float)));
  }
}

}  // namespace
}  // namespace moemt::dist
