// Expert placement: which world ranks form the expert groups of expert parallelism, so that with
// hierarchical routing (--moe-groups) each routing group's experts sit on ranks of one node and
// level 2 (top-k inside the group) sends rows only inside that node.
#pragma once

#include <string>
#include <vector>

namespace moemt::moe {

// An MoE layer's shape as placement sees it: E experts in G contiguous routing groups
// (group g holds experts [g*E/G, (g+1)*E/G), as MoeConfig).
struct PlacedLayer {
  std::string name;
  int num_experts = 1, num_groups = 1;
};

// The ranks in placement order: position p of the order is world rank order[p]; expert group
// p / n, position p % n in it (which runs experts block p % n of every layer).
struct ExpertPlacement {
  std::vector<int> order;     // position -> world rank
  std::vector<int> position;  // world rank -> position
  std::vector<int> node;      // position -> node id
};

// Orders the world ranks by (node, rank), so an expert group of n consecutive positions covers
// as few nodes as possible and its ranks are contiguous on each node, and checks that every
// routing group of every layer (num_groups > 1) has all its experts on ranks of one node.
// node_of_rank: any ids per world rank, equal = same node. Throws Error (one line naming the
// layer, the group and the counts) when the ranks, experts and groups cannot be placed so.
ExpertPlacement place_experts(const std::vector<int>& node_of_rank, int n,
                              const std::vector<PlacedLayer>& layers);

}  // namespace moemt::moe
