// Run-time dispatch of the Philox4x32-10 bulk kernels (see simd.hpp), and their scalar path.
//
// The scalar path is the shared body itself: gpurand::philox_draw4 and the transforms of
// gpurand/detail/transforms.hpp, the same functions the GPU kernels run. The AVX2 and AVX-512
// paths are one template over vector traits (simd_body.hpp), instantiated in
// simd_avx2.cpp and simd_avx512.cpp, and entered only after simd_active() has said the
// CPU supports them; this file is compiled with the baseline x86-64 flags.

#include "backend/cpu/simd.hpp"

#include <atomic>
#include <type_traits>

#include "backend/cpu/simd_kernels.hpp"
#include "gpurand/detail/transforms.hpp"
#include "gpurand/philox.hpp"

namespace gpurand::detail {
namespace {

key_schedule make_keys(std::uint64_t seed) noexcept {
  key_schedule ks{};
  philox_key k = philox_seed_key(seed);
  for (int r = 0; r < philox_rounds; ++r) {
    ks.k0[r] = k.v[0];
    ks.k1[r] = k.v[1];
    k.v[0] += philox_w0;
    k.v[1] += philox_w1;
  }
  return ks;
}

template <typename OutT>
void groups_scalar(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                   std::size_t groups, OutT* out) noexcept {
  for (std::size_t j = 0; j < groups; ++j) {
    // first_sub + j wraps mod 2^64 like the caller's subsequence.
    const philox_counter d = philox_draw4(seed, first_sub + j, offset);
    for (unsigned l = 0; l < 4; ++l) {
      if constexpr (std::is_same_v<OutT, float>) {
        out[4 * j + l] = uniform_float(d.v[l]);
      } else {
        out[4 * j + l] = d.v[l];
      }
    }
  }
}

template <typename OutT>
void dispatch_groups(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                     std::size_t groups, OutT* out, bool may_stream) noexcept {
  if (groups == 0) return;
#if defined(__x86_64__)
  const simd_level level = simd_active();
  if (level == simd_level::avx512) {
    return simd_kernels<avx512_ops>::fill(make_keys(seed), offset, first_sub, groups, out,
                                          may_stream);
  }
  if (level == simd_level::avx2) {
    return simd_kernels<avx2_ops>::fill(make_keys(seed), offset, first_sub, groups, out,
                                        may_stream);
  }
#else
  (void)may_stream;
#endif
  groups_scalar<OutT>(seed, offset, first_sub, groups, out);
}

simd_level detect() noexcept {
#if defined(__x86_64__)
  // __builtin_cpu_supports also checks (via XGETBV) that the OS saves the AVX / AVX-512
  // register state. __builtin_cpu_init makes it safe even during static initialisation.
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
    return simd_level::avx512;
  }
  if (avx2) return simd_level::avx2;
#endif
  return simd_level::scalar;
}

// -1: not forced (use simd_detected()); otherwise a simd_level value. The only mutable state.
std::atomic<int> g_forced{-1};

}  // namespace

const char* to_string(simd_level level) noexcept {
  switch (level) {
    case simd_level::scalar: return "scalar";
    case simd_level::avx2: return "avx2";
    case simd_level::avx512: return "avx512";
  }
  return "unknown";
}

simd_level simd_detected() noexcept {
  static const simd_level detected = detect();
  return detected;
}

simd_level simd_active() noexcept {
  const int forced = g_forced.load(std::memory_order_relaxed);
  return forced < 0 ? simd_detected() : static_cast<simd_level>(forced);
}

void simd_force(simd_level level) noexcept {
  const simd_level best = simd_detected();
  const simd_level clamped = static_cast<int>(level) > static_cast<int>(best) ? best : level;
  g_forced.store(static_cast<int>(clamped), std::memory_order_relaxed);
}

void philox_u32_groups(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                       std::size_t groups, std::uint32_t* out, bool may_stream) noexcept {
  dispatch_groups<std::uint32_t>(seed, offset, first_sub, groups, out, may_stream);
}

void philox_uniform_groups(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                           std::size_t groups, float* out, bool may_stream) noexcept {
  dispatch_groups<float>(seed, offset, first_sub, groups, out, may_stream);
}

void uniform_from_u32(const std::uint32_t* in, std::size_t n, float* out) noexcept {
  std::size_t done = 0;
#if defined(__x86_64__)
  const simd_level level = simd_active();
  if (level == simd_level::avx512) done = simd_kernels<avx512_ops>::uniform_from_u32(in, n, out);
  if (level == simd_level::avx2) done = simd_kernels<avx2_ops>::uniform_from_u32(in, n, out);
#endif
  for (std::size_t i = done; i < n; ++i) out[i] = uniform_float(in[i]);
}

}  // namespace gpurand::detail
