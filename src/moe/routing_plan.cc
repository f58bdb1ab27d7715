// RoutingPlan construction through ops::moe_plan, and its two explicit host reads.
#include "moe/routing_plan.h"

#include "ops/moe_plan.h"

namespace moemt::moe {

RoutingPlan make_plan(const Tensor& expert, const Tensor& gate, const Tensor& capacity) {
  MOEMT_CHECK(expert.rank() == 2 && gate.shape() == expert.shape(), "plan experts {} gates {}",
              expert.shape().str(), gate.shape().str());
  RoutingPlan p;
  p.num_tokens = expert.size(0);
  p.k = static_cast<int>(expert.size(1));
  p.num_experts = static_cast<int>(capacity.numel());
  const Device dev = expert.device();
  const int64_t n = p.num_tokens, k = p.k, e = p.num_experts;
  p.expert = expert;
  p.gate = gate;
  p.capacity = capacity;
  ops::PlanTensors t;
  t.position = Tensor::empty({n, k}, DType::i32, dev);
  t.row = Tensor::empty({n, k}, DType::i32, dev);
  t.row_token = Tensor::empty({n * k}, DType::i32, dev);
  t.demand = Tensor::empty({e}, DType::i32, dev);
  t.offsets = Tensor::empty({e + 1}, DType::i32, dev);
  t.counts = Tensor::empty({2}, DType::i32, dev);
  ops::moe_plan(expert, capacity, t);
  p.position = t.position;
  p.row = t.row;
  p.row_token = t.row_token;
  p.demand = t.demand;
  p.offsets = t.offsets;
  p.counts = t.counts;
  return p;
}

void RoutingPlan::read_offsets_to_host() {
  std::vector<int32_t> o = offsets.to_ivector();  // device -> host: E+1 integers
  host_offsets.assign(o.begin(), o.end());
}

int64_t RoutingPlan::num_rows() const {
  MOEMT_CHECK(static_cast<int>(host_offsets.size()) == num_experts + 1,
              "routing plan offsets were not read to the host");
  return host_offsets.back();
}

HostRoutingPlan RoutingPlan::read_to_host() const {
  HostRoutingPlan h;
  h.num_tokens = num_tokens;
  h.k = k;
  h.num_experts = num_experts;
  h.expert = expert.to_ivector();
  h.gate = gate.to_vector();
  h.position = position.to_ivector();
  h.row = row.to_ivector();
  for (int32_t c : capacity.to_ivector())
    h.capacity.push_back(c == ops::kUnlimitedCapacity ? kUnlimited : c);
  for (int32_t d : demand.to_ivector()) h.demand.push_back(d);
  for (int32_t o : offsets.to_ivector()) h.offsets.push_back(o);
  std::vector<int32_t> rt = row_token.to_ivector();
  h.row_token.assign(rt.begin(), rt.begin() + h.num_rows());
  for (size_t s = 0; s < h.row.size(); ++s)
    if (h.expert[s] >= 0 && h.row[s] < 0) h.dropped.push_back(static_cast<int32_t>(s));
  h.valid_tokens = counts.to_ivector()[0];
  return h;
}

}  // namespace moemt::moe
