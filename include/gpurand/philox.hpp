#pragma once
/// \file philox.hpp
/// Philox4x32-10 as a pure counter-based function, Random123 style: out = philox(counter, key).
///
/// This is the engine behind every Philox number gpurand produces, on the GPU and on the CPU
/// (the SIMD kernels of the CPU backend are checked against it). It is bit-identical to
/// Random123's philox4x32 with 10 rounds and to cuRAND's curand_Philox4x32_10 (the known-answer
/// vectors in tests/data/philox4x32_10_kat.txt and random inputs are checked against both).
///
/// How cuRAND's curandStatePhilox4_32_10_t uses it, which gpurand follows bit for bit: a
/// stream (seed, subsequence) at position `offset` (counted in 32-bit draws) is
///
///     key     = (seed low 32 bits, seed high 32 bits)
///     counter = (block low, block high, subsequence low, subsequence high), block = offset / 4
///
/// and the draw at `offset` is word offset % 4 of philox4x32_10(counter, key). Word 0 of each
/// array is the one cuRAND calls `x`.
///
/// Plain C++17 (no CUDA header); every function is also `__host__ __device__` under nvcc.

#include <cstdint>

#include "gpurand/config.hpp"

namespace gpurand {

/// The 128-bit Philox4x32 counter (input) or output block, word 0 first. Trivially copyable.
struct philox_counter {
  std::uint32_t v[4];
};

/// The 64-bit Philox4x32 key, word 0 first. Trivially copyable.
struct philox_key {
  std::uint32_t v[2];
};

namespace detail {

// Philox4x32 constants from Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as
// 1, 2, 3" (SC'11), as in Random123 and cuRAND (PHILOX_M4x32_0/1, PHILOX_W32_0/1).
inline constexpr std::uint32_t philox_m0 = 0xD2511F53u;  // multiplies counter word 0
inline constexpr std::uint32_t philox_m1 = 0xCD9E8D57u;  // multiplies counter word 2
inline constexpr std::uint32_t philox_w0 = 0x9E3779B9u;  // key word 0 bump (golden ratio)
inline constexpr std::uint32_t philox_w1 = 0xBB67AE85u;  // key word 1 bump (sqrt(3) - 1)
inline constexpr int philox_rounds = 10;

/// hi:lo = a * b, the full 64-bit product of two 32-bit words.
GPURAND_HD GPURAND_FORCEINLINE std::uint32_t philox_mulhilo(std::uint32_t a, std::uint32_t b,
                                                            std::uint32_t& hi) {
#if defined(__CUDA_ARCH__)
  hi = __umulhi(a, b);
  return a * b;
#else
  const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  hi = static_cast<std::uint32_t>(p >> 32);
  return static_cast<std::uint32_t>(p);
#endif
}

}  // namespace detail

/// Philox4x32-10 of `counter` under `key`: ten rounds, the key bumped by the Weyl constants
/// between rounds. A pure function: no state, no side effects, defined for every input.
GPURAND_HD GPURAND_FORCEINLINE philox_counter philox4x32_10(philox_counter counter,
                                                            philox_key key) {
  std::uint32_t x = counter.v[0], y = counter.v[1], z = counter.v[2], w = counter.v[3];
  std::uint32_t k0 = key.v[0], k1 = key.v[1];
  // Fully unrolled (the key bumps then fold into the code). nvcc's front end knows only
  // `#pragma unroll`, and GCC does not know that one, so the host pass of nvcc gets no hint.
#if defined(__CUDA_ARCH__)
#pragma unroll
#elif defined(__GNUC__) && !defined(__CUDACC__)
#pragma GCC unroll 10
#endif
  for (int r = 0; r < detail::philox_rounds; ++r) {
    // One round: (x, y, z, w) <- (hi(M1 z) ^ y ^ k0, lo(M1 z), hi(M0 x) ^ w ^ k1, lo(M0 x)).
    std::uint32_t hi0, hi1;
    const std::uint32_t lo0 = detail::philox_mulhilo(detail::philox_m0, x, hi0);
    const std::uint32_t lo1 = detail::philox_mulhilo(detail::philox_m1, z, hi1);
    x = hi1 ^ y ^ k0;
    y = lo1;
    z = hi0 ^ w ^ k1;
    w = lo0;
    k0 += detail::philox_w0;
    k1 += detail::philox_w1;
  }
  return philox_counter{{x, y, z, w}};
}

/// The Philox key of a gpurand / cuRAND stream: (seed low, seed high).
GPURAND_HD GPURAND_FORCEINLINE philox_key philox_seed_key(std::uint64_t seed) {
  return philox_key{{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
}

/// Block `block` of stream (seed, subsequence): philox4x32_10 of the counter
/// (block low, block high, subsequence low, subsequence high) under philox_seed_key(seed).
/// Its words are the draws at offsets 4 * block .. 4 * block + 3 of cuRAND's
/// curand_init(seed, subsequence, 0) stream.
GPURAND_HD GPURAND_FORCEINLINE philox_counter philox_block(std::uint64_t seed,
                                                           std::uint64_t subsequence,
                                                           std::uint64_t block) {
  const philox_counter ctr{
      {static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
       static_cast<std::uint32_t>(subsequence), static_cast<std::uint32_t>(subsequence >> 32)}};
  return philox4x32_10(ctr, philox_seed_key(seed));
}

/// The four draws at offsets offset .. offset + 3 of stream (seed, subsequence): exactly what
/// curand4() returns right after curand_init(seed, subsequence, offset). Word i is the draw at
/// offset + i, so when offset % 4 != 0 the result straddles two blocks (the tail of block
/// offset / 4, then the head of the next). One Philox evaluation, two when offset % 4 != 0 (a
/// curand_init + curand4 pair costs three). Valid for every offset: offset / 4 + 1 < 2^62 never
/// carries into the subsequence words.
GPURAND_HD GPURAND_FORCEINLINE philox_counter philox_draw4(std::uint64_t seed,
                                                           std::uint64_t subsequence,
                                                           std::uint64_t offset) {
  const std::uint64_t block = offset >> 2;
  const philox_counter a = philox_block(seed, subsequence, block);
  const unsigned shift = static_cast<unsigned>(offset & 3);
  if (shift == 0) return a;
  const philox_counter b = philox_block(seed, subsequence, block + 1);
  // Explicit selections, not an index computed at run time: on the GPU a run-time index into
  // a.v / b.v would put them in local memory.
  if (shift == 1) return philox_counter{{a.v[1], a.v[2], a.v[3], b.v[0]}};
  if (shift == 2) return philox_counter{{a.v[2], a.v[3], b.v[0], b.v[1]}};
  return philox_counter{{a.v[3], b.v[0], b.v[1], b.v[2]}};
}

}  // namespace gpurand
