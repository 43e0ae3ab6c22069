#pragma once
/// \file portable_normal_simd.hpp
/// Vectorised portable bodies for the CPU backend (plain C++17: no CUDA header): the portable
/// normals (float and double) and the exponential.
///
/// The bodies are the templates of gpurand/detail/portable_math.hpp and distributions.hpp
/// instantiated on GCC vector types (16 or 8 lanes), so every lane runs the scalar operation
/// sequence and the bits equal the scalar body, at every SIMD level (simd_force() in simd.hpp
/// selects the level for these functions too) and for every split of the work across threads.

#include <cstddef>
#include <cstdint>

namespace gpurand::detail {

/// For p in [0, pairs): (out[2p], out[2p+1]) = fma(z, stddev, mean) for the two values z of
/// portable_box_muller(in[2p], in[2p+1]). `in` and `out` must not overlap.
void portable_normal_from_u32(const std::uint32_t* in, std::size_t pairs, float* out, float mean,
                              float stddev) noexcept;

/// For j in [0, groups): (out[2j], out[2j+1]) = fma(z, stddev, mean) for the pair of
/// portable_box_muller_double(in[4j], in[4j+1], in[4j+2], in[4j+3]).
void portable_normal_double_from_u32(const std::uint32_t* in, std::size_t groups, double* out,
                                     double mean, double stddev) noexcept;

/// Bulk layout, as cuRAND's curand_normal4 in the contract: for j in [0, groups), with the four
/// draws (x, y, z, w) of curand4 right after curand_init(seed, first_sub + j, offset),
/// out[4j..4j+3] = the portable pairs of (x, y) and (z, w), each scaled fma(v, stddev, mean).
void portable_normal_groups(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                            std::size_t groups, float* out, float mean, float stddev) noexcept;

/// Same for doubles: out[2j], out[2j+1] = the portable double pair of group j's four draws.
void portable_normal_double_groups(std::uint64_t seed, std::uint64_t offset,
                                   std::uint64_t first_sub, std::size_t groups, double* out,
                                   double mean, double stddev) noexcept;

/// For i in [0, n): out[i] = exponential_from_u32(in[i], lambda). `in` and `out` must not
/// overlap.
void exponentials_from_u32(const std::uint32_t* in, std::size_t n, float* out,
                           float lambda) noexcept;

/// Bulk layout of the exponential: for j in [0, groups), with the four draws of curand4 right
/// after curand_init(seed, first_sub + j, offset), out[4j + k] = exponential_from_u32(draw k,
/// lambda).
void exponential_groups(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                        std::size_t groups, float* out, float lambda) noexcept;

/// The vector loops of one width (256: AVX2 + FMA, 512: AVX-512), the template in
/// portable_normal_simd_body.hpp, instantiated only in that instruction set's translation unit
/// (portable_normal_avx2.cpp, portable_normal_avx512.cpp); called only after simd_active() says
/// the CPU has it. Same contracts as portable_normal_from_u32 / portable_normal_double_from_u32
/// (run) and exponentials_from_u32 (exponential).
template <int Bits>
struct portable_normal_simd {
  static void run(const std::uint32_t* in, std::size_t pairs, float* out, float mean,
                  float stddev) noexcept;
  static void run(const std::uint32_t* in, std::size_t groups, double* out, double mean,
                  double stddev) noexcept;
  static void exponential(const std::uint32_t* in, std::size_t n, float* out,
                          float lambda) noexcept;
};
#if defined(__x86_64__)
extern template struct portable_normal_simd<256>;
extern template struct portable_normal_simd<512>;
#endif

}  // namespace gpurand::detail
