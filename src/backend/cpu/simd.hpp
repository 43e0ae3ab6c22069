#pragma once
/// \file simd.hpp
/// Vectorised Philox4x32-10 bulk kernels for the CPU backend.
///
/// The CPU backend fills buffers in the contract layout: element 4*j + l is lane l of one
/// curand4 / curand_uniform4 taken right after curand_init(seed, first_sub + j, offset). Running
/// cuRAND's scalar device code on the host for that costs a full curand_init per four outputs;
/// these kernels compute the same bits 16 or 32 subsequences at a time with AVX2 / AVX-512 (one
/// template over vector traits, simd_body.hpp), chosen at run time. The scalar fallback is the
/// shared body itself (gpurand::philox_draw4, gpurand/philox.hpp). Plain C++17: no CUDA header.

#include <cstddef>
#include <cstdint>

namespace gpurand::detail {

/// Instruction-set level of the bulk kernels, ordered from weakest to strongest.
enum class simd_level { scalar, avx2, avx512 };

/// Lower-case name of `level` ("scalar", "avx2", "avx512"); never null.
const char* to_string(simd_level level) noexcept;

/// Best level the running CPU and OS support. `avx512` needs AVX512F, DQ, BW and VL;
/// `avx2` needs AVX2. Always `scalar` on non-x86-64 builds. Detected once, then cached.
simd_level simd_detected() noexcept;

/// Level the functions below dispatch to right now: the last value given to simd_force()
/// (after clamping), or simd_detected() if simd_force() was never called. Thread-safe.
simd_level simd_active() noexcept;

/// Makes later calls use `level`, clamped to simd_detected() so that an unsupported instruction
/// set is never executed. For tests and benchmarks; every level gives identical bits.
/// `simd_force(simd_detected())` restores the default. Thread-safe (an atomic store).
void simd_force(simd_level level) noexcept;

/// Raw Philox4x32-10 outputs, bit-identical to cuRAND.
///
/// For every j in [0, groups), with sub = first_sub + j (mod 2^64), writes out[4*j + l] for
/// l = 0..3 = lane l (x, y, z, w) of curand4(&s) called right after
/// curand_init(seed, sub, offset, &s) on a curandStatePhilox4_32_10_t. Any seed, first_sub,
/// offset and groups are valid; groups == 0 writes nothing. `out` needs no particular alignment
/// and must hold 4 * groups elements. No heap allocation and no shared mutable state, so calls
/// from several threads on disjoint output ranges are safe. On the AVX2 / AVX-512 paths a call
/// that writes at least 8 MiB to a 16-byte-aligned `out` uses non-temporal stores (the data
/// bypasses the caches, which doubles the fill rate of buffers larger than the caches) and ends
/// with a store fence, so the usual thread synchronisation after the call publishes the results.
/// `may_stream = false` keeps ordinary stores, for output that should stay in cache.
void philox_u32_groups(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                       std::size_t groups, std::uint32_t* out, bool may_stream = true) noexcept;

/// Uniform floats in (0, 1], bit-identical to cuRAND.
///
/// Same as philox_u32_groups() but each element is the matching lane of curand_uniform4(&s),
/// i.e. float(x) * 2^-32 + 2^-33 with x the raw 32-bit output, float(x) rounded to nearest,
/// evaluated in single precision as a multiply followed by an add (the product is exact, so a
/// compiler contracting it into a fused multiply-add gives the same bits; checked exhaustively
/// over all 2^32 inputs). Same guarantees as philox_u32_groups().
void philox_uniform_groups(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                           std::size_t groups, float* out, bool may_stream = true) noexcept;

/// out[i] = cuRAND's _curand_uniform(in[i]) = float(in[i]) * 2^-32 + 2^-33 for i in [0, n),
/// using the same conversion code (and dispatch) as philox_uniform_groups(). Exposed so that tests
/// can check the unsigned-to-float conversion on chosen inputs (AVX2 has no unsigned convert).
/// `in` and `out` must not overlap.
void uniform_from_u32(const std::uint32_t* in, std::size_t n, float* out) noexcept;

}  // namespace gpurand::detail
