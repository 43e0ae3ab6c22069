#pragma once
// The vector loops of the portable normal, included once by each instruction-set file
// (portable_normal_avx2.cpp, portable_normal_avx512.cpp) with GPURAND_PN_BITS (vector width in
// bits) and the intrinsic wrappers GPURAND_PN_FMAF / _SQRTF / _FMAD / _SQRTD / _DIVD defined.
// Everything here has internal linkage (an anonymous namespace), so instantiations built for one
// instruction set are never picked by the linker for another.

#include <cstring>

#include "gpurand/detail/portable_math.hpp"
#include "backend/cpu/portable_normal_simd.hpp"

namespace {

constexpr int kBytes = GPURAND_PN_BITS / 8;
constexpr int kLanes32 = kBytes / 4;
constexpr int kLanes64 = kBytes / 8;

typedef float vf __attribute__((vector_size(kBytes)));
typedef std::uint32_t vu __attribute__((vector_size(kBytes)));
typedef std::int32_t vi __attribute__((vector_size(kBytes)));
typedef double vd __attribute__((vector_size(kBytes)));
typedef std::uint64_t vq __attribute__((vector_size(kBytes)));
typedef std::int64_t vqi __attribute__((vector_size(kBytes)));

struct ops_f {
  using scalar = float;
  using F = vf;
  using U = vu;
  static inline F fma(F a, F b, F c) { return GPURAND_PN_FMAF(a, b, c); }
  static inline F sqrt(F a) { return GPURAND_PN_SQRTF(a); }
  static inline U bits(F a) { return (U)a; }
  static inline F from_bits(U u) { return (F)u; }
};

struct ops_d {
  using scalar = double;
  using F = vd;
  using U = vq;
  static inline F fma(F a, F b, F c) { return GPURAND_PN_FMAD(a, b, c); }
  static inline F sqrt(F a) { return GPURAND_PN_SQRTD(a); }
  static inline F div(F a, F b) { return a / b; }  // IEEE division, lane by lane
  static inline U bits(F a) { return (U)a; }
  static inline F from_bits(U u) { return (F)u; }
};

template <class V>
inline V load(const void* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V>
inline void store(void* p, V v) {
  std::memcpy(p, &v, sizeof v);
}

// Index vectors for the (de)interleaving shuffles.
template <class IV, int N>
constexpr IV iota_step(int start, int step) {
  IV v{};
  for (int i = 0; i < N; ++i) v[i] = start + step * i;
  return v;
}
template <class IV, int N>
constexpr IV interleave_idx(int half) {
  IV v{};
  for (int i = 0; i < N; ++i) v[i] = (i % 2 == 0 ? 0 : N) + half * (N / 2) + i / 2;
  return v;
}

/// Lane i of the result is lane idx[i] of the concatenation (a, b): GCC's
/// __builtin_shuffle, which clang lacks (clang builds the fuzz preset), where
/// a lane loop moves the same data.
template <class V, class IV>
inline V shuffle2(V a, V b, IV idx) {
#if defined(__clang__)
  constexpr int n = static_cast<int>(sizeof(V) / sizeof(a[0]));
  V r{};
  for (int i = 0; i < n; ++i) {
    const int k = static_cast<int>(idx[i]);
    r[i] = k < n ? a[k] : b[k - n];
  }
  return r;
#else
  return __builtin_shuffle(a, b, idx);
#endif
}

// kLanes32 pairs: in[0 .. 2*kLanes32), out[0 .. 2*kLanes32).
inline void block_f(const std::uint32_t* in, float* out, vf mean, vf stddev) {
  const vu a = load<vu>(in), b = load<vu>(in + kLanes32);
  const vu x = shuffle2(a, b, iota_step<vi, kLanes32>(0, 2));
  const vu y = shuffle2(a, b, iota_step<vi, kLanes32>(1, 2));
  vf s, c;
  gpurand::detail::portable_box_muller<ops_f>(x, y, &s, &c);
  s = ops_f::fma(s, stddev, mean);
  c = ops_f::fma(c, stddev, mean);
  store(out, shuffle2(s, c, interleave_idx<vi, kLanes32>(0)));
  store(out + kLanes32, shuffle2(s, c, interleave_idx<vi, kLanes32>(1)));
}

// kLanes64 groups of four draws: in[0 .. 4*kLanes64), out[0 .. 2*kLanes64).
inline void block_d(const std::uint32_t* in, double* out, vd mean, vd stddev) {
  const vq a = load<vq>(in), b = load<vq>(in + 2 * kLanes64);
  const vq lo = shuffle2(a, b, iota_step<vqi, kLanes64>(0, 2));  // x0 | x1 << 32
  const vq hi = shuffle2(a, b, iota_step<vqi, kLanes64>(1, 2));  // y0 | y1 << 32
  const vq zx = (lo & 0xFFFFFFFFu) ^ ((lo >> 32) << 21);
  const vq zy = (hi & 0xFFFFFFFFu) ^ ((hi >> 32) << 21);
  vd s, c;
  gpurand::detail::portable_box_muller_double_z<ops_d>(zx, zy, &s, &c);
  s = ops_d::fma(s, stddev, mean);
  c = ops_d::fma(c, stddev, mean);
  store(out, shuffle2(s, c, interleave_idx<vqi, kLanes64>(0)));
  store(out + kLanes64, shuffle2(s, c, interleave_idx<vqi, kLanes64>(1)));
}

void run_f(const std::uint32_t* in, std::size_t pairs, float* out, float mean, float stddev) {
  // x - (+0) is x for every x, -0 included (vf{} + x would turn -0 into +0).
  const vf m = mean - vf{}, sd = stddev - vf{};
  std::size_t p = 0;
  for (; p + kLanes32 <= pairs; p += kLanes32) block_f(in + 2 * p, out + 2 * p, m, sd);
  if (p < pairs) {  // the tail through a padded block: same vector code, no scalar path here
    std::uint32_t tin[2 * kLanes32] = {};
    float tout[2 * kLanes32];
    std::memcpy(tin, in + 2 * p, (pairs - p) * 2 * sizeof(std::uint32_t));
    block_f(tin, tout, m, sd);
    std::memcpy(out + 2 * p, tout, (pairs - p) * 2 * sizeof(float));
  }
}

void run_d(const std::uint32_t* in, std::size_t groups, double* out, double mean, double stddev) {
  const vd m = mean - vd{}, sd = stddev - vd{};
  std::size_t j = 0;
  for (; j + kLanes64 <= groups; j += kLanes64) block_d(in + 4 * j, out + 2 * j, m, sd);
  if (j < groups) {
    std::uint32_t tin[4 * kLanes64] = {};
    double tout[2 * kLanes64];
    std::memcpy(tin, in + 4 * j, (groups - j) * 4 * sizeof(std::uint32_t));
    block_d(tin, tout, m, sd);
    std::memcpy(out + 2 * j, tout, (groups - j) * 2 * sizeof(double));
  }
}

}  // namespace
