#pragma once
// The bounded integers (dist::integer, dist::integer64) from their definition, for the tests:
// Lemire's wide form written with 128-bit integers, not gpurand/detail/integers.hpp's code.
// Plain C++ (no CUDA header), so the build without the CUDA toolkit has it too.

#include <cstdint>

namespace gpurand::test {

/// A value in [low, high) from 32-bit draws taken by next(): r = high - low; a try's draw X has
/// 64 bits (integer: two draws, the first the high word) or 128 bits (integer64: four draws,
/// high first); value = low + ((X * r) >> (bits of X)), accepted unless the low bits of X * r
/// are below 2^(bits of X) mod r, else a new try from next().
template <class Next>
std::uint64_t ref_integer(bool wide64, std::uint64_t low, std::uint64_t high, Next&& next) {
  using u128 = unsigned __int128;
  const std::uint64_t r = high - low;
  for (;;) {
    if (!wide64) {
      const std::uint64_t hi = next(), lo = next();
      const u128 m = static_cast<u128>((hi << 32) | lo) * r;
      const std::uint64_t bound = static_cast<std::uint64_t>((static_cast<u128>(1) << 64) % r);
      if (static_cast<std::uint64_t>(m) >= bound) return low + static_cast<std::uint64_t>(m >> 64);
    } else {
      std::uint64_t w[4];
      for (auto& x : w) x = next();
      const u128 xh = static_cast<u128>((w[0] << 32) | w[1]), xl = (w[2] << 32) | w[3];
      const u128 a = xh * r, b = xl * r;                              // X * r = a * 2^64 + b
      const u128 top = a + (b >> 64);                                 // (X * r) >> 64, below 2^128
      const u128 rest = (top << 64) | static_cast<std::uint64_t>(b);  // X * r mod 2^128
      const u128 bound = (u128{0} - r) % r;                           // (2^128 - r) mod r
      if (rest >= bound) return low + static_cast<std::uint64_t>(top >> 64);
    }
  }
}

}  // namespace gpurand::test
