// Expert-parallel dispatch and return: counts per (rank, expert), all-to-all-v of the rows, and
// the permutation between the received (rank-major) and grouped (expert-major) layouts.
#include "moe/expert_exchange.h"

#include "core/error.h"
#include "ops/permute.h"

namespace moemt::moe {

void exchange_expert_counts(dist::Communicator& c, const std::vector<int64_t>& plan_offsets,
                            ExpertExchange& ex, std::string_view context) {
  const int g = c.size(), me = c.rank();
  const int e = static_cast<int>(plan_offsets.size()) - 1;
  MOEMT_CHECK(e > 0 && e % g == 0, "{} experts over {} ranks", e, g);
  const int el = e / g;  // experts per rank
  // Block j of the send counts: my rows for each of rank j's experts.
  std::vector<int64_t> send(static_cast<size_t>(e));
  for (int x = 0; x < e; ++x) send[x] = plan_offsets[x + 1] - plan_offsets[x];
  const std::vector<int64_t> recv = dist::exchange_count_blocks(c, send, el, context);
  // recv[r * el + i]: rows rank r sends to my i-th expert.
  ex = {};
  ex.active = true;
  ex.send_rows.assign(g, 0);
  ex.recv_rows.assign(g, 0);
  for (int r = 0; r < g; ++r)
    for (int i = 0; i < el; ++i) {
      ex.send_rows[r] += send[r * el + i];
      ex.recv_rows[r] += recv[r * el + i];
    }
  // Grouped layout: my expert i holds the rows of rank 0, then rank 1, ...
  ex.offsets.assign(e + 1, 0);
  std::vector<int64_t> start(static_cast<size_t>(el) * g);  // grouped row of (i, r)'s first row
  int64_t at = 0;
  for (int i = 0; i < el; ++i) {
    ex.offsets[me * el + i] = at;
    for (int r = 0; r < g; ++r) {
      start[i * g + r] = at;
      at += recv[r * el + i];
    }
  }
  for (int x = me * el + el; x <= e; ++x) ex.offsets[x] = at;
  std::vector<int32_t> map;
  map.reserve(static_cast<size_t>(at));
  for (int r = 0; r < g; ++r)
    for (int i = 0; i < el; ++i)
      for (int64_t q = 0; q < recv[r * el + i]; ++q)
        map.push_back(static_cast<int32_t>(start[i * g + r] + q));
  ex.to_grouped = Tensor::from_vector(map, {at, 1});
}

Tensor to_experts(dist::Communicator& c, const ExpertExchange& ex, const Tensor& rows,
                  std::string_view context) {
  // rows (M, D) -> received (R, D) rank-major -> grouped[to_grouped[i]] = received[i].
  Tensor recv = c.all_to_all_v(rows, ex.send_rows, ex.recv_rows, context);
  Tensor grouped = Tensor::empty({ex.grouped_rows(), rows.size(1)}, DType::f32, rows.device());
  ops::permute(recv, ex.to_grouped, Tensor(), grouped);
  return grouped;
}

Tensor from_experts(dist::Communicator& c, const ExpertExchange& ex, const Tensor& rows,
                    std::string_view context) {
  // grouped (R, D) -> back[i] = grouped[to_grouped[i]] (rank-major) -> (M, D) to their ranks.
  Tensor back = Tensor::empty({ex.grouped_rows(), rows.size(1)}, DType::f32, rows.device());
  ops::unpermute_combine(rows, ex.to_grouped, Tensor(), back, 0.f);
  return c.all_to_all_v(back, ex.recv_rows, ex.send_rows, context);
}

}  // namespace moemt::moe
