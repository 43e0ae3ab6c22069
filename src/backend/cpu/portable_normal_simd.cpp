// Dispatch of the vectorised portable normal and exponential, and their scalar level (the scalar
// templates of gpurand/detail/portable_math.hpp and distributions.hpp: the same operations, one
// lane).

#include "backend/cpu/portable_normal_simd.hpp"

#include <algorithm>

#include "backend/cpu/simd.hpp"
#include "gpurand/detail/distributions.hpp"
#include "gpurand/detail/portable_math.hpp"

namespace gpurand::detail {
namespace {
// Calls run(portable_normal_simd<Bits>{}) for the active instruction set's vector loops; false
// where there are none (scalar).
template <class Run>
bool vector_loops(Run run) noexcept {
#if defined(__x86_64__)
  switch (simd_active()) {
    case simd_level::avx512: return run(portable_normal_simd<512>{}), true;
    case simd_level::avx2: return run(portable_normal_simd<256>{}), true;
    default: break;
  }
#else
  (void)run;
#endif
  return false;
}
}  // namespace

void portable_normal_from_u32(const std::uint32_t* in, std::size_t pairs, float* out, float mean,
                              float stddev) noexcept {
  if (vector_loops([&](auto v) { v.run(in, pairs, out, mean, stddev); })) return;
  using ops = scalar_ops<float>;
  for (std::size_t p = 0; p < pairs; ++p) {
    float s, c;
    portable_box_muller<ops>(in[2 * p], in[2 * p + 1], &s, &c);
    out[2 * p] = ops::fma(s, stddev, mean);
    out[2 * p + 1] = ops::fma(c, stddev, mean);
  }
}

void portable_normal_double_from_u32(const std::uint32_t* in, std::size_t groups, double* out,
                                     double mean, double stddev) noexcept {
  if (vector_loops([&](auto v) { v.run(in, groups, out, mean, stddev); })) return;
  using ops = scalar_ops<double>;
  for (std::size_t j = 0; j < groups; ++j) {
    double s, c;
    portable_box_muller_double_z<ops>(box_muller_double_z(in[4 * j], in[4 * j + 1]),
                                      box_muller_double_z(in[4 * j + 2], in[4 * j + 3]), &s, &c);
    out[2 * j] = ops::fma(s, stddev, mean);
    out[2 * j + 1] = ops::fma(c, stddev, mean);
  }
}

void exponentials_from_u32(const std::uint32_t* in, std::size_t n, float* out,
                           float lambda) noexcept {
  if (vector_loops([&](auto v) { v.exponential(in, n, out, lambda); })) return;
  for (std::size_t i = 0; i < n; ++i) out[i] = exponential_from_u32(in[i], lambda);
}

namespace {
// Raw draws are made a cache-resident chunk at a time, then transformed in place of the output:
// transform(draws, n, out + per_group * done) for chunks of n groups.
constexpr std::size_t kChunkGroups = 512;  // 8 KiB of draws

template <std::size_t PerGroup, class T, class Transform>
void chunked_groups(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                    std::size_t groups, T* out, Transform transform) noexcept {
  alignas(64) std::uint32_t draws[4 * kChunkGroups];
  for (std::size_t done = 0; done < groups;) {
    const std::size_t n = std::min(kChunkGroups, groups - done);
    philox_u32_groups(seed, offset, first_sub + done, n, draws, /*may_stream=*/false);
    transform(draws, n, out + PerGroup * done);
    done += n;
  }
}
}  // namespace

void portable_normal_groups(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                            std::size_t groups, float* out, float mean, float stddev) noexcept {
  chunked_groups<4>(seed, offset, first_sub, groups, out,
                    [&](const std::uint32_t* draws, std::size_t n, float* o) {
                      portable_normal_from_u32(draws, 2 * n, o, mean, stddev);
                    });
}

void portable_normal_double_groups(std::uint64_t seed, std::uint64_t offset,
                                   std::uint64_t first_sub, std::size_t groups, double* out,
                                   double mean, double stddev) noexcept {
  chunked_groups<2>(seed, offset, first_sub, groups, out,
                    [&](const std::uint32_t* draws, std::size_t n, double* o) {
                      portable_normal_double_from_u32(draws, n, o, mean, stddev);
                    });
}

void exponential_groups(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                        std::size_t groups, float* out, float lambda) noexcept {
  chunked_groups<4>(seed, offset, first_sub, groups, out,
                    [&](const std::uint32_t* draws, std::size_t n, float* o) {
                      exponentials_from_u32(draws, 4 * n, o, lambda);
                    });
}

}  // namespace gpurand::detail
