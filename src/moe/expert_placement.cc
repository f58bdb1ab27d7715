// Rank order of expert parallelism and the check that each routing group stays on one node.
#include "moe/expert_placement.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace moemt::moe {

ExpertPlacement place_experts(const std::vector<int>& node_of_rank, int n,
                              const std::vector<PlacedLayer>& layers) {
  const int w = static_cast<int>(node_of_rank.size());
  MOEMT_CHECK(n >= 1 && w % n == 0, "place_experts: {} ranks in groups of {}", w, n);
  ExpertPlacement p;
  p.order.resize(w);
  std::iota(p.order.begin(), p.order.end(), 0);
  // Stable: ranks of a node keep their order, so one node gives the identity.
  std::stable_sort(p.order.begin(), p.order.end(),
                   [&](int a, int b) { return node_of_rank[a] < node_of_rank[b]; });
  p.position.resize(w);
  for (int q = 0; q < w; ++q) {
    p.position[p.order[q]] = q;
    p.node.push_back(node_of_rank[p.order[q]]);
  }
  for (const PlacedLayer& l : layers) {
    if (l.num_groups <= 1 || l.num_experts % n != 0 || l.num_experts % l.num_groups != 0)
      continue;  // flat routing; or counts the layer itself rejects
    const int per_rank = l.num_experts / n, per_group = l.num_experts / l.num_groups;
    for (int base = 0; base < w; base += n)
      for (int g = 0; g < l.num_groups; ++g) {
        const int first = base + g * per_group / per_rank;
        const int last = base + ((g + 1) * per_group - 1) / per_rank;
        if (p.node[first] == p.node[last]) continue;  // positions are sorted by node
        int nodes = 1;
        for (int q = first + 1; q <= last; ++q) nodes += p.node[q] != p.node[q - 1];
        throw Error(
            "{}: routing group {} of {} (experts [{}, {})) would span {} nodes: with {} "
            "experts in {} groups over --expert-parallel {}, each group needs {} rank(s) and "
            "they must fit inside one node (raise --moe-groups, or make --expert-parallel fit "
            "the ranks per node)",
            l.name, g, l.num_groups, g * per_group, (g + 1) * per_group, nodes, l.num_experts,
            l.num_groups, n, last - first + 1);
      }
  }
  return p;
}

}  // namespace moemt::moe
