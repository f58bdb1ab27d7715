// Expert placement with hierarchical routing: ranks ordered by node, routing groups that cannot
// stay on one node rejected, and level-2 all-to-all bytes across nodes 0 when each node's
// tokens belong to the routing group placed on it (threads backend, fake node ids).
#include <gtest/gtest.h>

#include <thread>

#include "dist/communicator.h"
#include "moe/expert_placement.h"
#include "moe/moe_layer.h"
#include "moe_fixture.h"

namespace moemt::moe {
namespace {

TEST(ExpertPlacement, OrdersRanksByNode) {
  // Round-robin mapping (mpirun --map-by node): ranks 0, 2 on node 0 and 1, 3 on node 1.
  ExpertPlacement p = place_experts({0, 1, 0, 1}, 4, {{"enc.moe", 4, 2}});
  EXPECT_EQ(p.order, (std::vector<int>{0, 2, 1, 3}));
  EXPECT_EQ(p.position, (std::vector<int>{0, 2, 1, 3}));
  EXPECT_EQ(p.node, (std::vector<int>{0, 0, 1, 1}));
  // One node: the identity.
  EXPECT_EQ(place_experts({5, 5, 5}, 3, {}).order, (std::vector<int>{0, 1, 2}));
}

TEST(ExpertPlacement, GroupsThatCannotStayOnOneNodeAreAnError) {
  const std::vector<int> two_nodes{0, 0, 1, 1};
  // 12 experts over 4 ranks: 2 groups take ranks {0, 1} and {2, 3}, one node each; 4 and 6
  // groups sit on one rank each.
  for (int g : {2, 4, 6}) EXPECT_NO_THROW(place_experts(two_nodes, 4, {{"dec.moe", 12, g}}));
  // 3 groups of 4 experts: group 1 (experts 4..7) needs ranks 1 and 2, on different nodes.
  try {
    place_experts(two_nodes, 4, {{"dec.moe", 12, 2}, {"enc.moe", 12, 3}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("enc.moe: routing group 1 of 3 (experts [4, 8)) would span 2 nodes"),
              std::string::npos)
        << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
  // Flat routing places anything.
  EXPECT_NO_THROW(place_experts(two_nodes, 4, {{"enc.moe", 12, 1}}));
}

// All-to-all bytes across nodes of one forward and backward of the layer over 4 thread ranks on
// 2 nodes (round-robin, as --map-by node): routing by source-language group (2 groups of 2
// experts), every token of a rank in the group of its node. `placed`: the expert group is
// formed in placement order; otherwise in world-rank order (what the code did before).
int64_t inter_node_bytes(bool placed, int64_t* total) {
  const std::vector<int> nodes{0, 1, 0, 1};
  MoeConfig c;
  c.num_experts = 4;
  c.top_k = 2;
  c.router_init_std = 0.5f;
  c.capacity_factor_train = 0.f;
  c.group_by = GroupBy::src_family;
  c.num_groups = 2;
  c.lang_to_group = {0, 1};  // language 0 -> group 0, language 1 -> group 1
  const ExpertPlacement place = place_experts(nodes, 4, {{"moe", 4, 2}});
  auto comms = dist::make_thread_group(4, 30);
  std::vector<dist::Communicator::Traffic> t(4);
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (int r = 0; r < 4; ++r)
    threads.emplace_back([&, r] {
      try {
        const int key = placed ? place.position[r] : r;
        auto group = comms[r]->split(0, key, "expert group");
        std::vector<int> group_nodes(4);
        for (int q = 0; q < 4; ++q) group_nodes[q] = placed ? place.node[q] : nodes[q];
        group->set_nodes(group_nodes);
        testing::MoeFixture f(c);
        f.layer->set_expert_group(group.get());
        const int64_t rows = 5 + r;
        f.ctx.rows_per_sentence = 1;
        f.ctx.src_lang.assign(rows, nodes[r]);  // this node's group's language
        f.ctx.begin_step(1);
        f.layer->forward(f.ctx, nn::random_tensor({rows, 6}, 30 + r));
        f.layer->backward(f.ctx, nn::random_tensor({rows, 6}, 40 + r));
        t[r] = group->traffic();
      } catch (const std::exception& e) {
        errors[r] = e.what();
        comms[r]->abort(e.what());
      }
    });
  for (auto& th : threads) th.join();
  int64_t inter = 0;
  *total = 0;
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(errors[r], "") << "rank " << r;
    inter += t[r].all_to_all_inter_node_bytes;
    *total += t[r].all_to_all_bytes;
  }
  return inter;
}

TEST(ExpertPlacement, LevelTwoTrafficStaysInsideNodes) {
  int64_t total = 0;
  EXPECT_EQ(inter_node_bytes(true, &total), 0);
  EXPECT_GT(total, 0) << "rows must still move between the ranks of a node";
  // The same run with the expert group in world-rank order sends rows across nodes.
  int64_t unplaced_total = 0;
  EXPECT_GT(inter_node_bytes(false, &unplaced_total), 0);
}

}  // namespace
}  // namespace moemt::moe
