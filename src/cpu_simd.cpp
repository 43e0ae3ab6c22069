// Vectorised Philox4x32-10 bulk kernels for the CPU backend (see cpu_simd.hpp).
//
// The whole file is compiled with the baseline x86-64 flags; the AVX2 and AVX-512 kernels get
// their instruction sets from target attributes and are only entered after simd_active() has
// said the CPU supports them.
//
// Vectorisation is across subsequences: one Philox block (one subsequence) per 64-bit lane, each
// of the four 32-bit counter words in its own register, held in the low half of the lane.
// _mm512_mul_epu32 / _mm256_mul_epu32 multiply exactly those low halves into full 64-bit
// products, so `lo` is the product itself and `hi` is one shift or shuffle away. Packing 16
// words per ZMM instead would need a second multiply for the odd lanes plus two blends per
// product to split lo and hi, which costs the same per subsequence and more when packing the
// output. The upper halves of the words may hold junk: the multiplies ignore them and the last
// round and the output packing drop them. One ZMM holds 8 subsequences, one YMM 4; each loop
// iteration works on 32 (AVX-512) or 16 (AVX2) subsequences as independent register sets so the
// 5-cycle multiplies overlap.

#include "cpu_simd.hpp"

#include <atomic>
#include <cstring>
#include <type_traits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gpurand::detail {
namespace {

// Philox4x32-10 constants, as in cuRAND's curand_philox4x32_x.h (PHILOX_M4x32_0/1 and
// PHILOX_W32_0/1), which takes them from Salmon et al., "Parallel random numbers: as easy as
// 1, 2, 3" (SC'11) / Random123.
constexpr std::uint32_t kMul0 = 0xD2511F53u;   // multiplies counter word x
constexpr std::uint32_t kMul1 = 0xCD9E8D57u;   // multiplies counter word z
constexpr std::uint32_t kWeyl0 = 0x9E3779B9u;  // key.x increment between rounds
constexpr std::uint32_t kWeyl1 = 0xBB67AE85u;  // key.y increment between rounds
constexpr int kRounds = 10;

// curand_uniform.h: _curand_uniform(x) = x * CURAND_2POW32_INV + (CURAND_2POW32_INV / 2.0f),
// with CURAND_2POW32_INV = 2.3283064e-10f (curand_globals.h), which is exactly 2^-32 as a float.
// float(x) * 2^-32 is exact (a power-of-two scaling of a value >= 1 or of 0), so only the
// float(x) conversion and the final add round; a fused multiply-add would give the same bits,
// but the code does a plain multiply then add as cuRAND writes it.
constexpr float kTwoPowM32 = 0x1p-32f;
constexpr float kTwoPowM33 = 0x1p-33f;

// Calls that write at least this many bytes to a 16-byte-aligned buffer use non-temporal
// (streaming) stores on the AVX2 / AVX-512 paths, unless the caller says the data should stay
// in cache (may_stream = false: the whole fill fits in the last-level cache). A buffer this large
// does not stay in a core's L2 anyway, and skipping the read-for-ownership of every line raises
// single-core store bandwidth from ~9.5 to ~25 GB/s on the Sapphire Rapids development machine,
// which is what bounds large fills. Results are identical either way; the fill ends with an sfence.
constexpr std::size_t kStreamBytes = std::size_t{8} << 20;

/// Per-round keys: round r (0-based) uses key + r * (kWeyl0, kWeyl1), as curand_Philox4x32_10
/// bumps the key after every round but the last.
struct key_schedule {
  std::uint32_t k0[kRounds];
  std::uint32_t k1[kRounds];
};

key_schedule make_keys(std::uint64_t seed) noexcept {
  // curand_init: key.x = (unsigned)seed, key.y = (unsigned)(seed >> 32).
  key_schedule ks{};
  std::uint32_t k0 = static_cast<std::uint32_t>(seed);
  std::uint32_t k1 = static_cast<std::uint32_t>(seed >> 32);
  for (int r = 0; r < kRounds; ++r) {
    ks.k0[r] = k0;
    ks.k1[r] = k1;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return ks;
}

// ------------------------------------------------------------------------------------------
// Scalar path: used without AVX2 and on non-x86-64 builds.

/// One Philox4x32-10 block for the 128-bit counter (sub << 64) + block. Round as in
/// _philox4x32round: (lo0, hi0) = M0 * x, (lo1, hi1) = M1 * z,
/// new (x, y, z, w) = (hi1 ^ y ^ key.x, lo1, hi0 ^ w ^ key.y, lo0).
inline void philox_block(std::uint64_t block, std::uint64_t sub, const key_schedule& ks,
                         std::uint32_t w[4]) noexcept {
  std::uint32_t x = static_cast<std::uint32_t>(block);
  std::uint32_t y = static_cast<std::uint32_t>(block >> 32);
  std::uint32_t z = static_cast<std::uint32_t>(sub);
  std::uint32_t v = static_cast<std::uint32_t>(sub >> 32);
#pragma GCC unroll 10  // fully unrolled: ~20% faster (keys become immediate loads, no loop)
  for (int r = 0; r < kRounds; ++r) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(kMul0) * x;
    const std::uint64_t p1 = static_cast<std::uint64_t>(kMul1) * z;
    x = static_cast<std::uint32_t>(p1 >> 32) ^ y ^ ks.k0[r];
    y = static_cast<std::uint32_t>(p1);
    z = static_cast<std::uint32_t>(p0 >> 32) ^ v ^ ks.k1[r];
    v = static_cast<std::uint32_t>(p0);
  }
  w[0] = x;
  w[1] = y;
  w[2] = z;
  w[3] = v;
}

inline float uniform_scalar(std::uint32_t x) noexcept {
  // static_cast<float> of a uint32 rounds to nearest (C++ [conv.fpint], IEEE default mode).
  const float scaled = static_cast<float>(x) * kTwoPowM32;
  return scaled + kTwoPowM33;
}

template <typename OutT>
inline OutT convert_scalar(std::uint32_t x) noexcept {
  if constexpr (std::is_same_v<OutT, float>) {
    return uniform_scalar(x);
  } else {
    return x;
  }
}

// curand_init(seed, sub, offset) leaves ctr = (sub << 64) + offset / 4 and STATE = offset % 4;
// curand4 then returns lanes STATE..3 of that block followed by lanes 0..STATE-1 of the next
// one. offset / 4 < 2^62, so "the next one" never carries into the subsequence words.
template <typename OutT>
void groups_scalar(const key_schedule& ks, std::uint64_t offset, std::uint64_t first_sub,
                   std::size_t groups, OutT* out) noexcept {
  const std::uint64_t block = offset >> 2;
  const unsigned shift = static_cast<unsigned>(offset & 3);
  for (std::size_t j = 0; j < groups; ++j) {
    const std::uint64_t sub = first_sub + j;  // wraps mod 2^64 like the caller's sub
    std::uint32_t w[8];
    philox_block(block, sub, ks, w);
    if (shift != 0) philox_block(block + 1, sub, ks, w + 4);
    for (unsigned l = 0; l < 4; ++l) out[4 * j + l] = convert_scalar<OutT>(w[shift + l]);
  }
}

void uniform_from_u32_scalar(const std::uint32_t* in, std::size_t n, float* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = uniform_scalar(in[i]);
  }
}

#if defined(__x86_64__)

#define GPURAND_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl"), always_inline)) inline
#define GPURAND_TARGET_AVX512_FN __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
#define GPURAND_TARGET_AVX2 __attribute__((target("avx2"), always_inline)) inline
#define GPURAND_TARGET_AVX2_FN __attribute__((target("avx2")))

/// Number of leading groups to write with ordinary stores so that out + 4 * head is 64-byte
/// aligned, or `groups` when streaming stores cannot be used (see kStreamBytes).
template <typename OutT>
std::size_t stream_head(std::size_t groups, const OutT* out, bool may_stream) noexcept {
  const auto addr = reinterpret_cast<std::uintptr_t>(out);
  if (!may_stream || groups * 4 * sizeof(OutT) < kStreamBytes || addr % 16 != 0) return groups;
  const std::size_t head = ((64 - addr % 64) % 64) / 16;  // a group is 16 bytes
  return head < groups ? head : groups;
}

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_epi32(), written as `__m512i __Y = __Y;`,
// which -Wmaybe-uninitialized reports once the intrinsics are inlined (GCC bug 105593, fixed in
// GCC 13). The warning is spurious: the undefined value is never read (all-ones masks).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// ------------------------------------------------------------------------------------------
// AVX-512: 8 subsequences per ZMM.
//
// Per round and 8 subsequences: 2 vpmuludq, 2 moves of `hi` to the low half and 2 vpternlogd
// (a ^ b ^ c), all 512-bit uops that share ports 0 and 5 on Intel cores. The two `hi` moves use
// a shift (port 0) and a shuffle (port 5) so neither port is oversubscribed. Four independent
// register sets per iteration (32 subsequences) hide the 5-cycle multiply latency; that measured
// ~20% faster than two sets and as fast as six.
namespace avx512 {

constexpr std::size_t kLanes = 8;  // 64-bit lanes per ZMM = subsequences per register

/// Philox4x32-10 of the counters (sub[i] << 64) + block, one subsequence per 64-bit lane of
/// sub[i], returned as 64-bit pairs: xy[i] lane = x | y << 32 and zw[i] lane = z | w << 32,
/// i.e. the memory order of (x, y) and (z, w).
template <int N>
GPURAND_TARGET_AVX512 void philox(std::uint64_t block, const __m512i (&sub)[N],
                                  const key_schedule& ks, __m512i (&xy)[N],
                                  __m512i (&zw)[N]) noexcept {
  const __m512i m0 = _mm512_set1_epi64(kMul0);
  const __m512i m1 = _mm512_set1_epi64(kMul1);
  // Round 1 on its own: x and y (the block index) are the same in every lane, so M0 * x and
  // the terms that only involve x, y and the key are scalars.
  const std::uint64_t p0s = static_cast<std::uint64_t>(kMul0) * static_cast<std::uint32_t>(block);
  const __m512i x_in =
      _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(block >> 32) ^ ks.k0[0]));
  const __m512i z_in =
      _mm512_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(p0s >> 32) ^ ks.k1[0]));
  const __m512i w_in = _mm512_set1_epi64(static_cast<std::uint32_t>(p0s));
  __m512i x[N], y[N], z[N], w[N];
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    const __m512i p1 = _mm512_mul_epu32(sub[i], m1);
    x[i] = _mm512_xor_si512(_mm512_srli_epi64(p1, 32), x_in);
    y[i] = p1;
    z[i] = _mm512_xor_si512(_mm512_srli_epi64(sub[i], 32), z_in);
    w[i] = w_in;
  }
  // Rounds 2..9. A product p = hi << 32 | lo is both the new y (or w: only its low half counts)
  // and the source of hi for the new x (or z).
#pragma GCC unroll 10
  for (int r = 1; r < kRounds - 1; ++r) {
    const __m512i k0 = _mm512_set1_epi32(static_cast<int>(ks.k0[r]));
    const __m512i k1 = _mm512_set1_epi32(static_cast<int>(ks.k1[r]));
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) {
      const __m512i p0 = _mm512_mul_epu32(x[i], m0);
      const __m512i p1 = _mm512_mul_epu32(z[i], m1);
      x[i] = _mm512_ternarylogic_epi32(_mm512_srli_epi64(p1, 32), y[i], k0, 0x96);
      y[i] = p1;
      z[i] = _mm512_ternarylogic_epi32(_mm512_shuffle_epi32(p0, _MM_PERM_DDBB), w[i], k1, 0x96);
      w[i] = p0;
    }
  }
  // Round 10 builds the pairs for free: swapping the halves of p = hi:lo leaves lo (the new y
  // or w) in the high half and hi in the low half, and an XOR masked to the low halves (0x5555)
  // turns hi into the new x (or z) = hi ^ y ^ key.
  const __m512i k0 = _mm512_set1_epi32(static_cast<int>(ks.k0[kRounds - 1]));
  const __m512i k1 = _mm512_set1_epi32(static_cast<int>(ks.k1[kRounds - 1]));
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    const __m512i p0 = _mm512_mul_epu32(x[i], m0);
    const __m512i p1 = _mm512_mul_epu32(z[i], m1);
    xy[i] = _mm512_mask_ternarylogic_epi32(_mm512_ror_epi64(p1, 32), 0x5555, y[i], k0, 0x96);
    zw[i] = _mm512_mask_ternarylogic_epi32(_mm512_shuffle_epi32(p0, _MM_PERM_CDAB), 0x5555, w[i],
                                           k1, 0x96);
  }
}

/// Per 64-bit lane: (high half of a) | (low half of b) << 32, i.e. the pair one word further
/// on in the sequence a.lo, a.hi, b.lo, b.hi.
GPURAND_TARGET_AVX512 __m512i next_pair(const __m512i& a, const __m512i& b) noexcept {
  const __m512i idx = _mm512_set_epi32(30, 15, 28, 13, 26, 11, 24, 9, 22, 7, 20, 5, 18, 3, 16, 1);
  return _mm512_permutex2var_epi32(a, idx, b);
}

/// The output of curand4 after curand_init(seed, first + lane, 4 * block + S) for the 8N
/// subsequences first + [0, 8N), as pairs: lo[i] = (lane 0, lane 1), hi[i] = (lane 2, lane 3).
/// For S > 0 that is words S..3 of `block` followed by words 0..S-1 of block + 1.
template <int S, int N>
GPURAND_TARGET_AVX512 void output_pairs(std::uint64_t block, std::uint64_t first,
                                        const key_schedule& ks, __m512i (&lo)[N],
                                        __m512i (&hi)[N]) noexcept {
  const __m512i iota = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
  __m512i sub[N];
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    // 64-bit lane adds: the subsequence wraps mod 2^64 exactly like first_sub + j.
    sub[i] = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(first + kLanes * i)), iota);
  }
  if constexpr (S == 0) {
    philox<N>(block, sub, ks, lo, hi);
  } else {
    __m512i a_xy[N], a_zw[N], b_xy[N], b_zw[N];
    philox<N>(block, sub, ks, a_xy, a_zw);
    philox<N>(block + 1, sub, ks, b_xy, b_zw);
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) {
      if constexpr (S == 1) {  // (A.y, A.z), (A.w, B.x)
        lo[i] = next_pair(a_xy[i], a_zw[i]);
        hi[i] = next_pair(a_zw[i], b_xy[i]);
      } else if constexpr (S == 2) {  // (A.z, A.w), (B.x, B.y)
        lo[i] = a_zw[i];
        hi[i] = b_xy[i];
      } else {  // (A.w, B.x), (B.y, B.z)
        lo[i] = next_pair(a_zw[i], b_xy[i]);
        hi[i] = next_pair(b_xy[i], b_zw[i]);
      }
    }
  }
}

/// Interleaves the pairs of 8 subsequences into the output layout (x0 y0 z0 w0 x1 ...) and
/// stores them, converted to uniform floats if OutT is float, at dst[0..32). Stream: dst is
/// 64-byte aligned and non-temporal stores are used.
template <typename OutT, bool Stream>
GPURAND_TARGET_AVX512 void store8(const __m512i& lo, const __m512i& hi, OutT* dst) noexcept {
  const __m512i idx_first = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0);     // subsequences 0-3
  const __m512i idx_second = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);  // subsequences 4-7
  __m512i o[2] = {_mm512_permutex2var_epi64(lo, idx_first, hi),
                  _mm512_permutex2var_epi64(lo, idx_second, hi)};
#pragma GCC unroll 2
  for (int h = 0; h < 2; ++h) {
    if constexpr (std::is_same_v<OutT, float>) {
      // vcvtudq2ps rounds to nearest under the default MXCSR, as cuRAND's conversion does.
      const __m512 f =
          _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepu32_ps(o[h]), _mm512_set1_ps(kTwoPowM32)),
                        _mm512_set1_ps(kTwoPowM33));
      if constexpr (Stream) {
        _mm512_stream_ps(dst + 16 * h, f);
      } else {
        _mm512_storeu_ps(dst + 16 * h, f);
      }
    } else {
      if constexpr (Stream) {
        _mm512_stream_si512(reinterpret_cast<__m512i*>(dst + 16 * h), o[h]);
      } else {
        _mm512_storeu_si512(dst + 16 * h, o[h]);
      }
    }
  }
}

template <int S, int N, typename OutT, bool Stream>
GPURAND_TARGET_AVX512 void run_block(std::uint64_t block, std::uint64_t first,
                                     const key_schedule& ks, OutT* dst) noexcept {
  __m512i lo[N], hi[N];
  output_pairs<S, N>(block, first, ks, lo, hi);
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) store8<OutT, Stream>(lo[i], hi[i], dst + 32 * i);
}

template <int S, typename OutT, bool Stream>
GPURAND_TARGET_AVX512_FN void fill_range(const key_schedule& ks, std::uint64_t block,
                                         std::uint64_t first_sub, std::size_t groups,
                                         OutT* out) noexcept {
  // A nonzero shift computes two blocks per subsequence, so two register sets give the same
  // amount of independent work as four.
  constexpr int N = S == 0 ? 4 : 2;
  std::size_t j = 0;
  for (; groups - j >= kLanes * N; j += kLanes * N) {
    run_block<S, N, OutT, Stream>(block, first_sub + j, ks, out + 4 * j);
  }
  for (; groups - j >= kLanes; j += kLanes) {
    run_block<S, 1, OutT, Stream>(block, first_sub + j, ks, out + 4 * j);
  }
  if (j < groups) {
    // Fewer than 8 left: compute a full register set into a stack buffer, copy what is needed.
    alignas(64) OutT tmp[4 * kLanes];
    run_block<S, 1, OutT, false>(block, first_sub + j, ks, tmp);
    std::memcpy(out + 4 * j, tmp, 4 * (groups - j) * sizeof(OutT));
  }
}

template <int S, typename OutT>
void fill(const key_schedule& ks, std::uint64_t block, std::uint64_t first_sub, std::size_t groups,
          OutT* out, bool may_stream) noexcept {
  const std::size_t head = stream_head(groups, out, may_stream);
  fill_range<S, OutT, false>(ks, block, first_sub, head, out);
  if (head < groups) {
    fill_range<S, OutT, true>(ks, block, first_sub + head, groups - head, out + 4 * head);
    _mm_sfence();  // order the weakly-ordered streaming stores before any later release
  }
}

GPURAND_TARGET_AVX512_FN void uniform_from_u32(const std::uint32_t* in, std::size_t n,
                                               float* out) noexcept {
  const __m512 scale = _mm512_set1_ps(kTwoPowM32);
  const __m512 half = _mm512_set1_ps(kTwoPowM33);
  std::size_t i = 0;
  for (; n - i >= 16; i += 16) {
    const __m512i x = _mm512_loadu_si512(in + i);
    _mm512_storeu_ps(out + i, _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepu32_ps(x), scale), half));
  }
  uniform_from_u32_scalar(in + i, n - i, out + i);
}

}  // namespace avx512

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// ------------------------------------------------------------------------------------------
// AVX2: 4 subsequences per YMM, same layout and algorithm as the AVX-512 path, with two XORs in
// place of each vpternlogd and blends in place of masking. Only 16 YMM registers: four register
// sets spill a little but still measured faster than two.
namespace avx2 {

constexpr std::size_t kLanes = 4;

/// As avx512::philox, 4 subsequences per register.
template <int N>
GPURAND_TARGET_AVX2 void philox(std::uint64_t block, const __m256i (&sub)[N],
                                const key_schedule& ks, __m256i (&xy)[N],
                                __m256i (&zw)[N]) noexcept {
  const __m256i m0 = _mm256_set1_epi64x(kMul0);
  const __m256i m1 = _mm256_set1_epi64x(kMul1);
  const std::uint64_t p0s = static_cast<std::uint64_t>(kMul0) * static_cast<std::uint32_t>(block);
  const __m256i x_in =
      _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(block >> 32) ^ ks.k0[0]));
  const __m256i z_in =
      _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(p0s >> 32) ^ ks.k1[0]));
  const __m256i w_in = _mm256_set1_epi64x(static_cast<std::uint32_t>(p0s));
  __m256i x[N], y[N], z[N], w[N];
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    const __m256i p1 = _mm256_mul_epu32(sub[i], m1);
    x[i] = _mm256_xor_si256(_mm256_srli_epi64(p1, 32), x_in);
    y[i] = p1;
    z[i] = _mm256_xor_si256(_mm256_srli_epi64(sub[i], 32), z_in);
    w[i] = w_in;
  }
#pragma GCC unroll 10
  for (int r = 1; r < kRounds - 1; ++r) {
    const __m256i k0 = _mm256_set1_epi32(static_cast<int>(ks.k0[r]));
    const __m256i k1 = _mm256_set1_epi32(static_cast<int>(ks.k1[r]));
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) {
      const __m256i p0 = _mm256_mul_epu32(x[i], m0);
      const __m256i p1 = _mm256_mul_epu32(z[i], m1);
      x[i] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), y[i]), k0);
      y[i] = p1;
      z[i] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), w[i]), k1);
      w[i] = p0;
    }
  }
  // Round 10: swap the halves of each product (hi to the low half, lo = new y / w to the high
  // half), XOR in y ^ key, and take the high half back from the swapped product.
  const __m256i k0 = _mm256_set1_epi64x(ks.k0[kRounds - 1]);
  const __m256i k1 = _mm256_set1_epi64x(ks.k1[kRounds - 1]);
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    const __m256i p0 = _mm256_shuffle_epi32(_mm256_mul_epu32(x[i], m0), 0xB1);
    const __m256i p1 = _mm256_shuffle_epi32(_mm256_mul_epu32(z[i], m1), 0xB1);
    xy[i] = _mm256_blend_epi32(_mm256_xor_si256(_mm256_xor_si256(p1, y[i]), k0), p1, 0xAA);
    zw[i] = _mm256_blend_epi32(_mm256_xor_si256(_mm256_xor_si256(p0, w[i]), k1), p0, 0xAA);
  }
}

/// As avx512::next_pair: (high half of a) | (low half of b) << 32 per 64-bit lane.
GPURAND_TARGET_AVX2 __m256i next_pair(const __m256i& a, const __m256i& b) noexcept {
  return _mm256_blend_epi32(_mm256_srli_epi64(a, 32), _mm256_slli_epi64(b, 32), 0xAA);
}

/// As avx512::output_pairs, for the 4N subsequences first + [0, 4N).
template <int S, int N>
GPURAND_TARGET_AVX2 void output_pairs(std::uint64_t block, std::uint64_t first,
                                      const key_schedule& ks, __m256i (&lo)[N],
                                      __m256i (&hi)[N]) noexcept {
  const __m256i iota = _mm256_set_epi64x(3, 2, 1, 0);
  __m256i sub[N];
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    sub[i] = _mm256_add_epi64(_mm256_set1_epi64x(static_cast<long long>(first + kLanes * i)), iota);
  }
  if constexpr (S == 0) {
    philox<N>(block, sub, ks, lo, hi);
  } else {
    __m256i a_xy[N], a_zw[N], b_xy[N], b_zw[N];
    philox<N>(block, sub, ks, a_xy, a_zw);
    philox<N>(block + 1, sub, ks, b_xy, b_zw);
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) {
      if constexpr (S == 1) {
        lo[i] = next_pair(a_xy[i], a_zw[i]);
        hi[i] = next_pair(a_zw[i], b_xy[i]);
      } else if constexpr (S == 2) {
        lo[i] = a_zw[i];
        hi[i] = b_xy[i];
      } else {
        lo[i] = next_pair(a_zw[i], b_xy[i]);
        hi[i] = next_pair(b_xy[i], b_zw[i]);
      }
    }
  }
}

/// Exact uint32 -> float (round to nearest) without an unsigned convert: both 16-bit halves
/// convert exactly through the signed vcvtdq2ps, hi * 2^16 is exact, and the single rounding
/// happens in the final add of two exact values, i.e. it rounds the exact x once.
GPURAND_TARGET_AVX2 __m256 cvtepu32_ps(const __m256i& x) noexcept {
  const __m256i hi = _mm256_srli_epi32(x, 16);
  const __m256i lo = _mm256_blend_epi16(x, _mm256_setzero_si256(), 0xAA);
  const __m256 fhi = _mm256_mul_ps(_mm256_cvtepi32_ps(hi), _mm256_set1_ps(65536.0f));
  return _mm256_add_ps(fhi, _mm256_cvtepi32_ps(lo));
}

GPURAND_TARGET_AVX2 __m256 uniform(const __m256i& x) noexcept {
  return _mm256_add_ps(_mm256_mul_ps(cvtepu32_ps(x), _mm256_set1_ps(kTwoPowM32)),
                       _mm256_set1_ps(kTwoPowM33));
}

/// As avx512::store8, for 4 subsequences (dst[0..16)); Stream: dst is 32-byte aligned.
template <typename OutT, bool Stream>
GPURAND_TARGET_AVX2 void store4(const __m256i& lo, const __m256i& hi, OutT* dst) noexcept {
  const __m256i even = _mm256_unpacklo_epi64(lo, hi);           // subsequences 0 | 2
  const __m256i odd = _mm256_unpackhi_epi64(lo, hi);            // subsequences 1 | 3
  __m256i o[2] = {_mm256_permute2x128_si256(even, odd, 0x20),   // 0, 1
                  _mm256_permute2x128_si256(even, odd, 0x31)};  // 2, 3
#pragma GCC unroll 2
  for (int h = 0; h < 2; ++h) {
    if constexpr (std::is_same_v<OutT, float>) {
      if constexpr (Stream) {
        _mm256_stream_ps(dst + 8 * h, uniform(o[h]));
      } else {
        _mm256_storeu_ps(dst + 8 * h, uniform(o[h]));
      }
    } else {
      if constexpr (Stream) {
        _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + 8 * h), o[h]);
      } else {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 8 * h), o[h]);
      }
    }
  }
}

template <int S, int N, typename OutT, bool Stream>
GPURAND_TARGET_AVX2 void run_block(std::uint64_t block, std::uint64_t first, const key_schedule& ks,
                                   OutT* dst) noexcept {
  __m256i lo[N], hi[N];
  output_pairs<S, N>(block, first, ks, lo, hi);
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) store4<OutT, Stream>(lo[i], hi[i], dst + 16 * i);
}

template <int S, typename OutT, bool Stream>
GPURAND_TARGET_AVX2_FN void fill_range(const key_schedule& ks, std::uint64_t block,
                                       std::uint64_t first_sub, std::size_t groups,
                                       OutT* out) noexcept {
  constexpr int N = S == 0 ? 4 : 2;
  std::size_t j = 0;
  for (; groups - j >= kLanes * N; j += kLanes * N) {
    run_block<S, N, OutT, Stream>(block, first_sub + j, ks, out + 4 * j);
  }
  for (; groups - j >= kLanes; j += kLanes) {
    run_block<S, 1, OutT, Stream>(block, first_sub + j, ks, out + 4 * j);
  }
  if (j < groups) {
    alignas(32) OutT tmp[4 * kLanes];
    run_block<S, 1, OutT, false>(block, first_sub + j, ks, tmp);
    std::memcpy(out + 4 * j, tmp, 4 * (groups - j) * sizeof(OutT));
  }
}

template <int S, typename OutT>
void fill(const key_schedule& ks, std::uint64_t block, std::uint64_t first_sub, std::size_t groups,
          OutT* out, bool may_stream) noexcept {
  const std::size_t head = stream_head(groups, out, may_stream);
  fill_range<S, OutT, false>(ks, block, first_sub, head, out);
  if (head < groups) {
    fill_range<S, OutT, true>(ks, block, first_sub + head, groups - head, out + 4 * head);
    _mm_sfence();
  }
}

GPURAND_TARGET_AVX2_FN void uniform_from_u32(const std::uint32_t* in, std::size_t n,
                                             float* out) noexcept {
  std::size_t i = 0;
  for (; n - i >= 8; i += 8) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    _mm256_storeu_ps(out + i, uniform(x));
  }
  uniform_from_u32_scalar(in + i, n - i, out + i);
}

}  // namespace avx2

#endif  // defined(__x86_64__)

template <typename OutT>
void dispatch_groups(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                     std::size_t groups, OutT* out, bool may_stream) noexcept {
  if (groups == 0) return;
  const key_schedule ks = make_keys(seed);
#if defined(__x86_64__)
  const std::uint64_t block = offset >> 2;
  const simd_level level = simd_active();
  if (level == simd_level::avx512) {
    switch (offset & 3) {
      case 0: return avx512::fill<0, OutT>(ks, block, first_sub, groups, out, may_stream);
      case 1: return avx512::fill<1, OutT>(ks, block, first_sub, groups, out, may_stream);
      case 2: return avx512::fill<2, OutT>(ks, block, first_sub, groups, out, may_stream);
      default: return avx512::fill<3, OutT>(ks, block, first_sub, groups, out, may_stream);
    }
  }
  if (level == simd_level::avx2) {
    switch (offset & 3) {
      case 0: return avx2::fill<0, OutT>(ks, block, first_sub, groups, out, may_stream);
      case 1: return avx2::fill<1, OutT>(ks, block, first_sub, groups, out, may_stream);
      case 2: return avx2::fill<2, OutT>(ks, block, first_sub, groups, out, may_stream);
      default: return avx2::fill<3, OutT>(ks, block, first_sub, groups, out, may_stream);
    }
  }
#endif
  groups_scalar<OutT>(ks, offset, first_sub, groups, out);
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
#if defined(__x86_64__)
  const simd_level level = simd_active();
  if (level == simd_level::avx512) return avx512::uniform_from_u32(in, n, out);
  if (level == simd_level::avx2) return avx2::uniform_from_u32(in, n, out);
#endif
  uniform_from_u32_scalar(in, n, out);
}

}  // namespace gpurand::detail
