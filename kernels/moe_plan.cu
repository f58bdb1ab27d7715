// CUDA routing plan. The CPU counts arrivals in a serial choice-major pass; here the slots are
// listed in that arrival order with their expert as key (padding as key e, last), and CUB's
// stable radix sort groups them by expert while keeping arrival order inside each expert, so a
// slot's arrival rank is its sorted index minus its expert's start. Counts use integer atomics
// (exact, so order-independent); nothing here depends on scheduling.
#include <cmath>
#include <cub/cub.cuh>
#include <stdexcept>
#include <string>

#include "launch.cuh"
#include "moe_plan.cuh"

namespace moemt::kernels {

namespace {

constexpr int32_t kUnlimited = 2147483647;

__global__ void count_groups_kernel(const int32_t* group, int64_t n, int eg, int64_t groups,
                                    int32_t* capacity) {
  for (int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; t < n;
       t += static_cast<int64_t>(gridDim.x) * blockDim.x)
    if (group[t] >= 0 && group[t] < groups)
      atomicAdd(&capacity[static_cast<int64_t>(group[t]) * eg], 1);
}

// One thread per group: its token count sits in the group's first entry until overwritten.
__global__ void fill_capacity_kernel(float cf, int k, int64_t min_capacity, int eg, int64_t groups,
                                     int32_t* capacity) {
  for (int64_t g = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; g < groups;
       g += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t tokens = capacity[g * eg];
    int64_t v = kUnlimited;
    if (cf > 0.f) {
      const double c = ceil(static_cast<double>(cf) * k * static_cast<double>(tokens) / eg);
      const int64_t ci = static_cast<int64_t>(c);
      v = min_capacity > ci ? min_capacity : ci;
      v = v < kUnlimited ? v : kUnlimited;
    }
    for (int i = 0; i < eg; ++i) capacity[g * eg + i] = static_cast<int32_t>(v);
  }
}

// Slot s = t*k + j arrives at a = j*n + t. keys[a] = expert (e for padding), vals[a] = a;
// demand and the valid-token count by integer atomics.
__global__ void list_slots_kernel(const int32_t* expert, int64_t n, int64_t k, int64_t e,
                                  int32_t* keys, int32_t* vals, int32_t* demand, int32_t* counts) {
  const int64_t slots = n * k;
  for (int64_t a = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; a < slots;
       a += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t j = a / n, t = a % n;
    const int32_t x = expert[t * k + j];
    // An id outside [0, e) (the CPU's error) is treated as padding rather than written past
    // the arrays.
    const bool routed = x >= 0 && x < e;
    keys[a] = routed ? x : static_cast<int32_t>(e);
    vals[a] = static_cast<int32_t>(a);
    if (routed) atomicAdd(&demand[x], 1);
    if (j == 0 && routed) atomicAdd(&counts[0], 1);
  }
}

// One thread: starts (uncapped prefix of demand), offsets (capped prefix), dropped slots.
__global__ void offsets_kernel(const int32_t* demand, const int32_t* capacity, int64_t e,
                               int32_t* start, int32_t* offsets, int32_t* counts) {
  int32_t s = 0, o = 0;
  offsets[0] = 0;
  for (int64_t i = 0; i < e; ++i) {
    start[i] = s;
    s += demand[i];
    o += demand[i] < capacity[i] ? demand[i] : capacity[i];
    offsets[i + 1] = o;
  }
  counts[1] = s - o;
}

__global__ void place_slots_kernel(const int32_t* sorted_keys, const int32_t* sorted_vals,
                                   const int32_t* start, const int32_t* capacity,
                                   const int32_t* offsets, int64_t n, int64_t k, int64_t e,
                                   int32_t* position, int32_t* row, int32_t* row_token) {
  const int64_t slots = n * k;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < slots;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int32_t x = sorted_keys[i];
    const int64_t a = sorted_vals[i], j = a / n, t = a % n, s = t * k + j;
    if (x >= e) {
      position[s] = row[s] = -1;
      continue;
    }
    const int32_t p = static_cast<int32_t>(i - start[x]);
    position[s] = p;
    if (p < capacity[x]) {
      row[s] = offsets[x] + p;
      row_token[offsets[x] + p] = static_cast<int32_t>(t);
    } else {
      row[s] = -1;
    }
  }
}

size_t align(size_t b) { return (b + 255) / 256 * 256; }

int key_bits(int64_t e) {  // keys run to e (padding)
  int bits = 1;
  while (bits < 31 && (int64_t{1} << bits) <= e) ++bits;
  return bits;
}

size_t sort_bytes(int64_t slots, int64_t e) {
  size_t b = 0;
  int32_t* p = nullptr;
  cub::DeviceRadixSort::SortPairs(nullptr, b, p, p, p, p, static_cast<int>(slots), 0, key_bits(e));
  return b;
}

void check_cuda(cudaError_t err, const char* what) {
  if (err != cudaSuccess)
    throw std::runtime_error(std::string("moe_plan ") + what + ": " + cudaGetErrorString(err));
}

}  // namespace

void launch_moe_capacity(const int32_t* group, int64_t n, float cf, int k, int64_t min_capacity,
                         int experts_per_group, int64_t groups, int32_t* capacity, int device,
                         void* stream) {
  if (groups == 0) return;
  cudaSetDevice(device);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  check_cuda(cudaMemsetAsync(capacity, 0, groups * experts_per_group * sizeof(int32_t), s),
             "memset");
  if (n > 0) {
    count_groups_kernel<<<blocks_for(n), kThreads, 0, s>>>(group, n, experts_per_group, groups,
                                                           capacity);
    check_launch("moe_capacity (counts)");
  }
  fill_capacity_kernel<<<blocks_for(groups), kThreads, 0, s>>>(cf, k, min_capacity,
                                                               experts_per_group, groups, capacity);
  check_launch("moe_capacity");
}

__global__ void keep_experts_kernel(const int32_t* kept, int64_t e, int32_t* capacity) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i < e && kept[i] == 0) capacity[i] = 0;
}

void launch_moe_keep_experts(const int32_t* kept, int64_t e, int32_t* capacity, int device,
                             void* stream) {
  if (e == 0) return;
  cudaSetDevice(device);
  keep_experts_kernel<<<blocks_for(e), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      kept, e, capacity);
  check_launch("moe_keep_experts");
}

size_t moe_plan_workspace(int64_t n, int64_t k, int64_t e) {
  const size_t arr = align(static_cast<size_t>(n * k) * sizeof(int32_t));
  return 4 * arr + align(static_cast<size_t>(e) * sizeof(int32_t)) + align(sort_bytes(n * k, e));
}

void launch_moe_plan(const int32_t* expert, const int32_t* capacity, int64_t n, int64_t k,
                     int64_t e, PlanPointers out, void* workspace, int device, void* stream) {
  cudaSetDevice(device);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  const int64_t slots = n * k;
  check_cuda(cudaMemsetAsync(out.demand, 0, e * sizeof(int32_t), s), "memset");
  check_cuda(cudaMemsetAsync(out.counts, 0, 2 * sizeof(int32_t), s), "memset");
  // Rows past offsets[e] (dropped slots' rows) name no token: -1 is all bits set.
  check_cuda(cudaMemsetAsync(out.row_token, 0xff, slots * sizeof(int32_t), s), "memset");
  const size_t arr = align(static_cast<size_t>(slots) * sizeof(int32_t));
  char* w = static_cast<char*>(workspace);
  auto* keys = reinterpret_cast<int32_t*>(w);
  auto* vals = reinterpret_cast<int32_t*>(w + arr);
  auto* sorted_keys = reinterpret_cast<int32_t*>(w + 2 * arr);
  auto* sorted_vals = reinterpret_cast<int32_t*>(w + 3 * arr);
  auto* start = reinterpret_cast<int32_t*>(w + 4 * arr);
  void* temp = w + 4 * arr + align(static_cast<size_t>(e) * sizeof(int32_t));
  if (slots > 0) {
    list_slots_kernel<<<blocks_for(slots), kThreads, 0, s>>>(expert, n, k, e, keys, vals,
                                                             out.demand, out.counts);
    check_launch("moe_plan (slots)");
    size_t b = sort_bytes(slots, e);
    check_cuda(cub::DeviceRadixSort::SortPairs(temp, b, keys, sorted_keys, vals, sorted_vals,
                                               static_cast<int>(slots), 0, key_bits(e), s),
               "sort");
  }
  offsets_kernel<<<1, 1, 0, s>>>(out.demand, capacity, e, start, out.offsets, out.counts);
  check_launch("moe_plan (offsets)");
  if (slots > 0) {
    place_slots_kernel<<<blocks_for(slots), kThreads, 0, s>>>(sorted_keys, sorted_vals, start,
                                                              capacity, out.offsets, n, k, e,
                                                              out.position, out.row, out.row_token);
    check_launch("moe_plan (rows)");
  }
}

}  // namespace moemt::kernels
