#pragma once
// What the run-time dispatcher (simd.cpp) and the per-instruction-set
// translation units (simd_avx2.cpp, simd_avx512.cpp) share: the key
// schedule and the entry points of the one SIMD template (simd_body.hpp),
// instantiated once per vector-traits type.
//
// Each instruction set is its own translation unit, compiled with that set's
// flags (-mavx2, -mavx512...; see CMakeLists.txt), because GCC and Clang give
// a template no target attribute that depends on its arguments. Those units
// define nothing but their traits and the explicit instantiation, so no inline
// function compiled with wider instructions can be shared with baseline code.

#include <cstddef>
#include <cstdint>

#include "gpurand/philox.hpp"

namespace gpurand::detail {

/// Per-round keys: round r (0-based) uses key + r * (philox_w0, philox_w1), as
/// philox4x32_10 bumps the key after every round but the last.
struct key_schedule {
  std::uint32_t k0[philox_rounds];
  std::uint32_t k1[philox_rounds];
};

/// The bulk kernels of one instruction set, `Ops` being its vector traits
/// (defined, and the class instantiated, only in that set's translation unit).
/// Same contracts as philox_u32_groups / philox_uniform_groups / uniform_from_u32
/// in simd.hpp; the caller has checked that the CPU supports the set.
template <class Ops>
struct simd_kernels {
  static void fill(const key_schedule& ks, std::uint64_t offset, std::uint64_t first_sub,
                   std::size_t groups, std::uint32_t* out, bool may_stream) noexcept;
  static void fill(const key_schedule& ks, std::uint64_t offset, std::uint64_t first_sub,
                   std::size_t groups, float* out, bool may_stream) noexcept;
  /// Converts in[0, m) with m the largest multiple of the register width <= n; returns m.
  static std::size_t uniform_from_u32(const std::uint32_t* in, std::size_t n, float* out) noexcept;
};

#if defined(__x86_64__)
struct avx2_ops;    // 4 subsequences per YMM register (simd_avx2.cpp)
struct avx512_ops;  // 8 subsequences per ZMM register (simd_avx512.cpp)
extern template struct simd_kernels<avx2_ops>;
extern template struct simd_kernels<avx512_ops>;
#endif

}  // namespace gpurand::detail
