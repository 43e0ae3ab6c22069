#pragma once
/// \file integers.hpp
/// Exactly unbiased bounded integers: Lemire's multiply-shift with rejection (D. Lemire, "Fast
/// random integer generation in an interval", ACM TOMS 2019), for 32- and 64-bit ranges, taking
/// 32-bit draws from any callable (plain C++17 or nvcc; `GPURAND_HD`).
///
/// Definition (word width w = 32 or 64, range r in [1, 2^w - 1], x a w-bit draw): m = x * r
/// (2w bits), value = m >> w, accepted unless (m mod 2^w) < (2^w - r) mod r, in which case a new
/// x is drawn. Every value in [0, r) then has exactly floor(2^w / r) accepted preimages, so the
/// result is exactly uniform. A 64-bit draw is two 32-bit draws, the first one the high word.
///
/// Two forms:
/// - `lemire_*`: one w-bit draw per value, rejected with probability ((2^w - r) mod r) / 2^w
///   (< r / 2^w: up to ~1/2 for r just above 2^(w-1); the modulo is computed only when
///   m mod 2^w < r, so a typical value costs one multiply);
/// - `lemire_*_wide` (the GPU-friendly form): the draw has 2w bits (two w-bit words, high first),
///   m = x * r has 3w bits, value = m >> 2w, rejected only if (m mod 2^2w) < (2^2w - r) mod r,
///   with probability < r / 2^2w <= 2^-w: a warp practically never diverges into the loop. Cost:
///   exactly two words per value (2 draws for 32-bit, 4 for 64-bit) and three multiplies.

#include <cstdint>

#include "gpurand/config.hpp"

namespace gpurand::detail {

/// The 2w-bit product of two w-bit words as (hi, lo).
template <class W>
struct wide_product {
  W hi, lo;
};

GPURAND_HD GPURAND_FORCEINLINE wide_product<std::uint8_t> mul_wide(std::uint8_t a, std::uint8_t b) {
  const unsigned p = static_cast<unsigned>(a) * b;
  return {static_cast<std::uint8_t>(p >> 8), static_cast<std::uint8_t>(p)};
}
GPURAND_HD GPURAND_FORCEINLINE wide_product<std::uint16_t> mul_wide(std::uint16_t a,
                                                                    std::uint16_t b) {
  const std::uint32_t p = static_cast<std::uint32_t>(a) * b;
  return {static_cast<std::uint16_t>(p >> 16), static_cast<std::uint16_t>(p)};
}
GPURAND_HD GPURAND_FORCEINLINE wide_product<std::uint32_t> mul_wide(std::uint32_t a,
                                                                    std::uint32_t b) {
  const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  return {static_cast<std::uint32_t>(p >> 32), static_cast<std::uint32_t>(p)};
}
GPURAND_HD GPURAND_FORCEINLINE wide_product<std::uint64_t> mul_wide(std::uint64_t a,
                                                                    std::uint64_t b) {
#if defined(__CUDA_ARCH__)
  return {__umul64hi(a, b), a * b};
#else
  const unsigned __int128 p = static_cast<unsigned __int128>(a) * b;
  return {static_cast<std::uint64_t>(p >> 64), static_cast<std::uint64_t>(p)};
#endif
}

/// (p.hi * 2^w + p.lo) mod r for r >= 1, by binary long division (w steps).
template <class W>
GPURAND_HD GPURAND_FORCEINLINE W mod_wide(wide_product<W> p, W r) {
  constexpr int bits = 8 * sizeof(W);
  W rem = static_cast<W>(p.hi % r);
  for (int i = bits - 1; i >= 0; --i) {
    const bool carry = (rem >> (bits - 1)) != 0;  // 2 * rem would not fit in w bits
    rem = static_cast<W>(static_cast<W>(rem << 1) | ((p.lo >> i) & 1u));
    if (carry || rem >= r) rem = static_cast<W>(rem - r);
  }
  return rem;
}

/// One w-bit word from 32-bit draws: the draw itself for w <= 32 (truncated for the narrow test
/// words), (first << 32) | second for w = 64.
template <class W, class Draw>
GPURAND_HD GPURAND_FORCEINLINE W draw_word(Draw& draw) {
  if constexpr (sizeof(W) == 8) {
    const std::uint64_t hi = static_cast<std::uint32_t>(draw());
    const std::uint64_t lo = static_cast<std::uint32_t>(draw());
    return static_cast<W>((hi << 32) | lo);
  } else {
    return static_cast<W>(draw());
  }
}

/// Lemire's method, one word per try: a uniform value in [0, range) for range in [1, 2^w - 1].
/// `draw()` returns the next 32-bit draw (it is called once per 32 bits of each try).
template <class W, class Draw>
GPURAND_HD GPURAND_FORCEINLINE W lemire(Draw&& draw, W range) {
  wide_product<W> m = mul_wide(draw_word<W>(draw), range);
  if (m.lo < range) {
    // (2^w - range) mod range, in w-bit arithmetic (unsigned negation is 2^w - range).
    const W threshold = static_cast<W>(static_cast<W>(0u - range) % range);
    while (m.lo < threshold) m = mul_wide(draw_word<W>(draw), range);
  }
  return m.hi;
}

/// Always true: a draw source without a budget of its own may always try again.
struct always_more {
  GPURAND_HD constexpr bool operator()() const { return true; }
};

/// One try of the wide form: `value` = the top w bits of (x_hi * 2^w + x_lo) * range; `sure`
/// when the try is accepted whatever the threshold (its low 2w bits are >= range, and the
/// threshold (2^2w - range) mod range is below range); otherwise `low` holds the low w bits,
/// which decide (the high w bits of the low half are then 0).
template <class W>
struct wide_try {
  W value;
  W low;
  bool sure;
};
template <class W>
GPURAND_HD GPURAND_FORCEINLINE wide_try<W> lemire_wide_try(W x_hi, W x_lo, W range) {
  // (x_hi * 2^w + x_lo) * range = a * 2^w + b, with a = x_hi * range + hi(x_lo * range).
  const wide_product<W> p_lo = mul_wide(x_lo, range);
  wide_product<W> a = mul_wide(x_hi, range);
  const W mid = static_cast<W>(a.lo + p_lo.hi);
  a.hi = static_cast<W>(a.hi + (mid < a.lo ? 1u : 0u));  // carry; a < 2^2w, never overflows
  // value = a.hi; the low 2w bits are (mid, p_lo.lo).
  return {a.hi, p_lo.lo, mid != 0 || p_lo.lo >= range};
}

/// The wide (GPU-friendly) form: two words per try, a rejection probability below 2^-w.
/// `more()` is asked before each retry: false ends the loop (the value is then invalid; a
/// budgeted source whose budget is spent says so, and its caller fails the call).
template <class W, class Draw, class More = always_more>
GPURAND_HD GPURAND_FORCEINLINE W lemire_wide(Draw&& draw, W range, More more = {}) {
  for (;;) {
    const W x_hi = draw_word<W>(draw);
    const W x_lo = draw_word<W>(draw);
    const wide_try<W> t = lemire_wide_try(x_hi, x_lo, range);
    // Rejected iff the low 2w bits are below (2^2w - range) mod range (< range < 2^w).
    if (t.sure) return t.value;
    // 2^2w mod range = (2^w mod range)^2 mod range: rare (probability < 2^-w), so the
    // reduction is a plain shift-and-subtract.
    const W m1 = static_cast<W>(static_cast<W>(0u - range) % range);  // 2^w mod range
    const W threshold = mod_wide(mul_wide(m1, m1), range);
    if (t.low >= threshold || !more()) return t.value;
  }
}

/// dist::integer's value (rng.integer, the bulk fill, the per-thread writer): low + the wide
/// form over 32-bit words for r = high - low < 2^32; for r = 2^32 the try's first word itself
/// (its second word drawn and unused: every try takes two). Preconditions: low < high <= 2^32
/// (validate_params).
template <class Draw, class More = always_more>
GPURAND_HD GPURAND_FORCEINLINE std::uint32_t integer_value(Draw&& draw, std::uint64_t low,
                                                           std::uint64_t high, More more = {}) {
  const std::uint64_t range = high - low;
  if (range >> 32) {  // r = 2^32: the whole word
    const std::uint32_t x_hi = static_cast<std::uint32_t>(draw());
    (void)draw();
    return static_cast<std::uint32_t>(low + x_hi);
  }
  return static_cast<std::uint32_t>(
      low + lemire_wide<std::uint32_t>(draw, static_cast<std::uint32_t>(range), more));
}

/// dist::integer64's value: low + the wide form over 64-bit words (4 draws a try). Precondition:
/// low < high.
template <class Draw, class More = always_more>
GPURAND_HD GPURAND_FORCEINLINE std::uint64_t integer64_value(Draw&& draw, std::uint64_t low,
                                                             std::uint64_t high, More more = {}) {
  return low + lemire_wide<std::uint64_t>(draw, high - low, more);
}

/// The values of a full bulk group of dist::integer (2 values) or dist::integer64 (1 value)
/// from the group's first Philox block x[0..3], when each value's first try is surely accepted
/// (integer_group's layout, below): returns false, writing nothing, when some try may be
/// rejected (probability < 2^-31 resp. 2^-63 per group); then integer_group decides. A fast
/// path for bulk fills that make the blocks in batches (the CPU backend's SIMD Philox).
template <bool Wide64, class T>
GPURAND_HD GPURAND_FORCEINLINE bool integer_group_first_tries(const std::uint32_t* x,
                                                              std::uint64_t low, std::uint64_t high,
                                                              T* v) {
  const std::uint64_t range = high - low;
  if constexpr (Wide64) {
    const wide_try<std::uint64_t> t = lemire_wide_try(
        (std::uint64_t{x[0]} << 32) | x[1], (std::uint64_t{x[2]} << 32) | x[3], range);
    if (!t.sure) return false;
    v[0] = low + t.value;
  } else if (range >> 32) {  // r = 2^32: each try's first word
    v[0] = static_cast<T>(low + x[0]);
    v[1] = static_cast<T>(low + x[2]);
  } else {
    const std::uint32_t r = static_cast<std::uint32_t>(range);
    const wide_try<std::uint32_t> t0 = lemire_wide_try(x[0], x[1], r);
    const wide_try<std::uint32_t> t1 = lemire_wide_try(x[2], x[3], r);
    if (!(t0.sure && t1.sure)) return false;
    v[0] = static_cast<T>(low + t0.value);
    v[1] = static_cast<T>(low + t1.value);
  }
  return true;
}

/// A bulk group of dist::integer (2 values) or dist::integer64 (1 value) from a budgeted source
/// `c` (a draw_cursor: next(), exhausted()) positioned at the group's first draw. The first
/// Philox block x0..x3 holds every value's first try: integer value 0 takes (x0, x1), value 1
/// (x2, x3); integer64 its one value (x0 << 32 | x1, x2 << 32 | x3). A rejected try (probability
/// < 2^-32 resp. 2^-64) continues with the source's next draws after the block, value 0's
/// retries before value 1's. `count` (<= values per group) values are written to v.
template <bool Wide64, class Source, class T>
GPURAND_HD GPURAND_FORCEINLINE void integer_group(Source& c, std::uint64_t low, std::uint64_t high,
                                                  unsigned count, T* v) {
  auto more = [&c] { return !c.exhausted(); };
  if constexpr (Wide64) {
    auto draw = [&c] { return c.next(); };
    if (count > 0) v[0] = integer64_value(draw, low, high, more);
  } else {
    const std::uint32_t x[4] = {c.next(), c.next(), c.next(), c.next()};
    for (unsigned l = 0; l < 2; ++l) {
      unsigned used = 0;
      auto draw = [&] { return used < 2 ? x[2 * l + used++] : c.next(); };
      const std::uint32_t value = integer_value(draw, low, high, more);
      if (l < count) v[l] = value;
    }
  }
}

}  // namespace gpurand::detail
