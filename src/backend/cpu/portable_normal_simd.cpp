// Dispatch of the vectorised portable normal, and its scalar level (the scalar template of
// gpurand/detail/portable_math.hpp: the same operations, one lane).

#include "backend/cpu/portable_normal_simd.hpp"

#include <algorithm>

#include "backend/cpu/simd.hpp"
#include "gpurand/detail/portable_math.hpp"

namespace gpurand::detail {
namespace {
// Runs the vector loops of the active instruction set; false where there are none (scalar).
template <class T>
bool vector_loops(const std::uint32_t* in, std::size_t n, T* out, T mean, T stddev) noexcept {
#if defined(__x86_64__)
  switch (simd_active()) {
    case simd_level::avx512: return portable_normal_simd<512>::run(in, n, out, mean, stddev), true;
    case simd_level::avx2: return portable_normal_simd<256>::run(in, n, out, mean, stddev), true;
    default: break;
  }
#else
  (void)in, (void)n, (void)out, (void)mean, (void)stddev;
#endif
  return false;
}
}  // namespace

void portable_normal_from_u32(const std::uint32_t* in, std::size_t pairs, float* out, float mean,
                              float stddev) noexcept {
  if (vector_loops(in, pairs, out, mean, stddev)) return;
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
  if (vector_loops(in, groups, out, mean, stddev)) return;
  using ops = scalar_ops<double>;
  for (std::size_t j = 0; j < groups; ++j) {
    double s, c;
    portable_box_muller_double_z<ops>(box_muller_double_z(in[4 * j], in[4 * j + 1]),
                                      box_muller_double_z(in[4 * j + 2], in[4 * j + 3]), &s, &c);
    out[2 * j] = ops::fma(s, stddev, mean);
    out[2 * j + 1] = ops::fma(c, stddev, mean);
  }
}

namespace {
// Raw draws are made a cache-resident chunk at a time, then transformed in place of the output.
constexpr std::size_t kChunkGroups = 512;  // 8 KiB of draws
}  // namespace

void portable_normal_groups(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                            std::size_t groups, float* out, float mean, float stddev) noexcept {
  alignas(64) std::uint32_t draws[4 * kChunkGroups];
  for (std::size_t done = 0; done < groups;) {
    const std::size_t n = std::min(kChunkGroups, groups - done);
    philox_u32_groups(seed, offset, first_sub + done, n, draws, /*may_stream=*/false);
    portable_normal_from_u32(draws, 2 * n, out + 4 * done, mean, stddev);
    done += n;
  }
}

void portable_normal_double_groups(std::uint64_t seed, std::uint64_t offset,
                                   std::uint64_t first_sub, std::size_t groups, double* out,
                                   double mean, double stddev) noexcept {
  alignas(64) std::uint32_t draws[4 * kChunkGroups];
  for (std::size_t done = 0; done < groups;) {
    const std::size_t n = std::min(kChunkGroups, groups - done);
    philox_u32_groups(seed, offset, first_sub + done, n, draws, /*may_stream=*/false);
    portable_normal_double_from_u32(draws, n, out + 2 * done, mean, stddev);
    done += n;
  }
}

}  // namespace gpurand::detail
