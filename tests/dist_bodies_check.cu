// The distribution bodies compile on their own under nvcc, device code included: a kernel
// instantiates each (the device paths use __fmaf_rn, __fsqrt_rn, __ddiv_rn, __umul64hi, ...).
#include "gpurand/detail/alias.hpp"
#include "gpurand/detail/distributions.hpp"
#include "gpurand/detail/integers.hpp"
#include "gpurand/detail/portable_math.hpp"

namespace {
struct counter_draws {
  unsigned state;
  __device__ unsigned operator()() { return state = state * 1664525u + 1013904223u; }
};
}  // namespace

__global__ void gpurand_dist_bodies_check(float* f, double* d, unsigned* u, unsigned long long* u64,
                                          const gpurand::detail::alias_entry* table) {
  using namespace gpurand::detail;
  const unsigned i = threadIdx.x;
  const portable_pair_f p = portable_box_muller_pair(i, i * 7u);
  const portable_pair_d q = portable_box_muller_double(i, i + 1, i + 2, i + 3);
  f[i] = p.x + p.y + exponential_from_u32(i, 2.0f);
  d[i] = q.x + q.y;
  counter_draws g{i};
  u[i] = lemire<std::uint32_t>(g, 3u << 30) + lemire_wide<std::uint32_t>(g, 7u) +
         alias_sample(table, 4, i, i) + bernoulli_from_u32(i, 1ull << 31);
  u64[i] = lemire<std::uint64_t>(g, 3ull << 62) + lemire_wide<std::uint64_t>(g, 5ull);
}
