// Accuracy of the portable log / sincos / Box-Muller (gpurand/detail/portable_math.hpp) against
// references whose own error is far below the measured one: double libm for float results
// (error < 2^-29 float ulp after an exact argument reduction), long double for double results.
// The float log and the float sincos are checked over ALL their inputs (multi-threaded); the
// double forms over large random samples. The bounds asserted here are the README's figures.

#include "gpurand/detail/portable_math.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace {

using gpurand::detail::portable_box_muller_double;
using gpurand::detail::portable_box_muller_pair;
using gpurand::detail::portable_log;
using gpurand::detail::portable_log_double;
using gpurand::detail::portable_sincos_turn;
using gpurand::detail::portable_sincos_turn_double;

// Error of `got` in units in the last place of the exact value `ref` (at precision `digits`).
double ulp_error(long double got, long double ref, int digits) {
  if (ref == 0) return got == 0 ? 0.0 : 1e30;
  const int e = std::ilogb(static_cast<double>(ref));
  return static_cast<double>(std::fabs(got - ref) / std::ldexp(1.0L, e - (digits - 1)));
}

// Runs fn(begin, end) over [0, n) split across the hardware threads; returns the max of the
// per-chunk results.
template <class Fn>
double parallel_max(std::uint64_t n, Fn fn) {
  const unsigned t = std::max(1u, std::thread::hardware_concurrency());
  std::vector<double> worst(t, 0.0);
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < t; ++i)
    pool.emplace_back([&, i] { worst[i] = fn(n * i / t, n * (i + 1) / t); });
  for (auto& th : pool) th.join();
  return *std::max_element(worst.begin(), worst.end());
}

float float_of_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// Max ulp error of portable_log over the float bit patterns [first, last].
double log_float_sweep(std::uint32_t first, std::uint32_t last) {
  return parallel_max(std::uint64_t{last} - first + 1, [&](std::uint64_t b, std::uint64_t e) {
    double w = 0;
    for (std::uint64_t i = b; i < e; ++i) {
      const float a = float_of_bits(static_cast<std::uint32_t>(first + i));
      w = std::max(w, ulp_error(portable_log(a), std::log(static_cast<double>(a)), 24));
    }
    return w;
  });
}

#if !defined(GPURAND_PORTABLE_MATH_LONG)
TEST(PortableMath, LogFloatExhaustiveOverReachableInputs) {
  // Box-Muller, exponential and log-normal take the log of u = float(x) * 2^-32 + 2^-33, so
  // u lies in [2^-33, 1]: every float there (bit patterns 0x2F000000 .. 0x3F800000).
  const double worst = log_float_sweep(0x2F000000u, 0x3F800000u);
  std::printf("portable_log(float): max error %.4f ulp over all floats in [2^-33, 1]\n", worst);
  EXPECT_LT(worst, 0.9);
  EXPECT_EQ(portable_log(1.0f), 0.0f);
}
#else
TEST(PortableMathLong, LogFloatExhaustiveOverPositiveNormals) {
  const double worst = log_float_sweep(0x00800000u, 0x7F7FFFFFu);
  std::printf("portable_log(float): max error %.4f ulp over all positive normal floats\n", worst);
  EXPECT_LT(worst, 0.9);
}
#endif

#if !defined(GPURAND_PORTABLE_MATH_LONG)
TEST(PortableMath, LogDoubleRandomSample) {
  std::mt19937_64 rng(20261202);
  double worst = 0;
  for (int i = 0; i < (1 << 23); ++i) {
    // Uniform in the bit patterns of (0, 1] (every binade equally) and in (0, 1) by value.
    double a;
    if (i & 1) {
      const std::uint64_t b =
          0x0010000000000000ull + rng() % (0x3FF0000000000000ull - 0x0010000000000000ull);
      std::memcpy(&a, &b, 8);
    } else {
      a = static_cast<double>(rng() >> 11) * 0x1p-53 + 0x1p-54;
    }
    worst = std::max(worst,
                     ulp_error(portable_log_double(a), std::log(static_cast<long double>(a)), 53));
  }
  std::printf("portable_log_double: max error %.4f ulp over 2^23 samples\n", worst);
  EXPECT_LT(worst, 0.85);
  EXPECT_EQ(portable_log_double(1.0), 0.0);
}

// Reference sin/cos of the reduced argument n * 2^-33 turn (n odd, < 2^30) in double: the
// argument is exact, so the reference error is ~2^-52 relative.
TEST(PortableMath, SincosFloatExhaustiveOverReducedArguments) {
  // Octant 0 (y < 2^29) runs the polynomials on every reduced argument there is: odd octants
  // reflect y into the same set, so these 2^29 inputs are all the polynomials ever see.
  const double two_pi = 6.283185307179586476925286766559;
  const double worst = parallel_max(1ull << 29, [&](std::uint64_t b, std::uint64_t e) {
    double w = 0;
    for (std::uint64_t q = b; q < e; ++q) {
      float s, c;
      portable_sincos_turn(static_cast<std::uint32_t>(q), &s, &c);
      const double angle = two_pi * std::ldexp(static_cast<double>(2 * q + 1), -33);
      w = std::max(w, ulp_error(s, std::sin(angle), 24));
      w = std::max(w, ulp_error(c, std::cos(angle), 24));
    }
    return w;
  });
  std::printf("portable_sincos_turn(float): max error %.4f ulp over all 2^29 reduced arguments\n",
              worst);
  EXPECT_LT(worst, 1.05);
}

TEST(PortableMath, SincosFloatOctantsMapExactly) {
  // Every y in octant o gives +-(sin or cos) of octant 0's value at the reflected index, with
  // the signs and swap of the exact angle; the long double angle checks the mapping.
  std::mt19937 rng(7);
  for (int i = 0; i < (1 << 20); ++i) {
    const std::uint32_t y = (i < 16) ? static_cast<std::uint32_t>(i) * 0x10000000u : rng();
    float s, c;
    portable_sincos_turn(y, &s, &c);
    const std::uint32_t o = y >> 29;
    const std::uint32_t q = (o & 1) ? (~y & 0x1FFFFFFFu) : (y & 0x1FFFFFFFu);
    float s0, c0;
    portable_sincos_turn(q, &s0, &c0);
    EXPECT_TRUE((std::fabs(s) == s0 || std::fabs(s) == c0)) << y;
    const long double angle = 6.283185307179586476925286766559L * (y + 0.5L) * 0x1p-32L;
    ASSERT_NEAR(s, static_cast<double>(std::sin(angle)), 2e-7) << y;
    ASSERT_NEAR(c, static_cast<double>(std::cos(angle)), 2e-7) << y;
  }
}

TEST(PortableMath, SincosDoubleRandomSample) {
  std::mt19937_64 rng(99);
  double worst = 0;
  for (int i = 0; i < (1 << 22); ++i) {
    const std::uint64_t z = rng() >> 11;
    double s, c;
    portable_sincos_turn_double(z, &s, &c);
    // Exact reduction in long double, then the reference on the reduced argument.
    const std::uint64_t o = z >> 50;
    const std::uint64_t q = (o & 1) ? (~z & 0x3FFFFFFFFFFFFull) : (z & 0x3FFFFFFFFFFFFull);
    const long double r =
        6.283185307179586476925286766559L * std::ldexp(static_cast<long double>(2 * q + 1), -54);
    const long double sr = std::sin(r), cr = std::cos(r);
    const std::uint64_t j = ((o + 1) >> 1) & 3;
    long double rs = (o & 1) ? -sr : sr, rc = cr;
    if (j & 1) std::swap(rs, rc);
    if (j >> 1) rs = -rs;
    if ((j ^ (j >> 1)) & 1) rc = -rc;
    worst = std::max(worst, ulp_error(s, rs, 53));
    worst = std::max(worst, ulp_error(c, rc, 53));
  }
  std::printf("portable_sincos_turn_double: max error %.4f ulp over 2^22 samples\n", worst);
  EXPECT_LT(worst, 1.05);
}

TEST(PortableMath, BoxMullerFloatAgainstLongDouble) {
  // The whole pair against a long double Box-Muller of the same u and the exact angle.
  const double worst = parallel_max(1ull << 22, [&](std::uint64_t b, std::uint64_t e) {
    std::mt19937 rng(static_cast<unsigned>(b) + 1);
    double w = 0;
    for (std::uint64_t i = b; i < e; ++i) {
      const std::uint32_t x = (i < b + 4) ? 0xFFFFFFFFu - static_cast<std::uint32_t>(i - b) : rng();
      const std::uint32_t y = rng();
      const auto p = portable_box_muller_pair(x, y);
      const float u = static_cast<float>(x) * 0x1p-32f + 0x1p-33f;
      const long double radius = std::sqrt(-2.0L * std::log(static_cast<long double>(u)));
      const long double angle = 6.283185307179586476925286766559L * (y + 0.5L) * 0x1p-32L;
      if (radius == 0) {
        if (p.x != 0 || p.y != 0) return 1e30;
        continue;
      }
      // Relative to the radius: sin/cos near a zero crossing are judged at the radius's scale
      // only if the angle's reference is itself unsure there (never at these magnitudes).
      w = std::max(w, ulp_error(p.x, radius * std::sin(angle), 24));
      w = std::max(w, ulp_error(p.y, radius * std::cos(angle), 24));
    }
    return w;
  });
  std::printf("portable_box_muller(float): max error %.4f ulp over 2^22 pairs\n", worst);
  EXPECT_LT(worst, 2.7);
}

TEST(PortableMath, BoxMullerDoubleAgainstLongDouble) {
  std::mt19937 rng(5);
  double worst = 0;
  for (int i = 0; i < (1 << 21); ++i) {
    const std::uint32_t x0 = rng(), x1 = rng(), y0 = rng(), y1 = rng();
    const auto p = portable_box_muller_double(x0, x1, y0, y1);
    const std::uint64_t zx =
        static_cast<std::uint64_t>(x0) ^ (static_cast<std::uint64_t>(x1) << 21);
    const std::uint64_t zy =
        static_cast<std::uint64_t>(y0) ^ (static_cast<std::uint64_t>(y1) << 21);
    const double u = static_cast<double>(zx) * 0x1p-53 + 0x1p-54;
    const long double radius = std::sqrt(-2.0L * std::log(static_cast<long double>(u)));
    const std::uint64_t o = zy >> 50;
    const std::uint64_t q = (o & 1) ? (~zy & 0x3FFFFFFFFFFFFull) : (zy & 0x3FFFFFFFFFFFFull);
    const long double r =
        6.283185307179586476925286766559L * std::ldexp(static_cast<long double>(2 * q + 1), -54);
    long double rs = (o & 1) ? -std::sin(r) : std::sin(r), rc = std::cos(r);
    const std::uint64_t j = ((o + 1) >> 1) & 3;
    if (j & 1) std::swap(rs, rc);
    if (j >> 1) rs = -rs;
    if ((j ^ (j >> 1)) & 1) rc = -rc;
    worst = std::max(worst, ulp_error(p.x, radius * rs, 53));
    worst = std::max(worst, ulp_error(p.y, radius * rc, 53));
  }
  std::printf("portable_box_muller_double: max error %.4f ulp over 2^21 pairs\n", worst);
  EXPECT_LT(worst, 2.75);
}

TEST(PortableMath, BoxMullerUsesCurandsU) {
  // u is cuRAND's float u: x = 2^32 - 1 rounds to u = 1, so the radius is exactly 0.
  const auto p = portable_box_muller_pair(0xFFFFFFFFu, 12345u);
  EXPECT_EQ(p.x, 0.0f);
  EXPECT_EQ(p.y, 0.0f);
  // The exact conversion helper equals the compiler's rounding conversion.
  std::mt19937 rng(3);
  for (int i = 0; i < (1 << 20); ++i) {
    const std::uint32_t x = (i < 1024) ? (0xFFFFFFFFu - i) : rng();
    EXPECT_EQ(gpurand::detail::pm::u32_to_float_rn<gpurand::detail::scalar_ops<float>>(x),
              static_cast<float>(x));
  }
}

#else
TEST(PortableMathLong, SincosFloatExhaustiveOverAllInputs) {
  // All 2^32 y through the full function (octant mapping included) against the exactly reduced
  // double reference.
  const double worst = parallel_max(1ull << 32, [&](std::uint64_t b, std::uint64_t e) {
    double w = 0;
    for (std::uint64_t y = b; y < e; ++y) {
      float s, c;
      portable_sincos_turn(static_cast<std::uint32_t>(y), &s, &c);
      const std::uint64_t o = y >> 29;
      const std::uint64_t q = (o & 1) ? (~y & 0x1FFFFFFFu) : (y & 0x1FFFFFFFu);
      const double r =
          6.283185307179586476925286766559 * std::ldexp(static_cast<double>(2 * q + 1), -33);
      double rs = (o & 1) ? -std::sin(r) : std::sin(r), rc = std::cos(r);
      const std::uint64_t j = ((o + 1) >> 1) & 3;
      if (j & 1) std::swap(rs, rc);
      if (j >> 1) rs = -rs;
      if ((j ^ (j >> 1)) & 1) rc = -rc;
      w = std::max(w, ulp_error(s, rs, 24));
      w = std::max(w, ulp_error(c, rc, 24));
    }
    return w;
  });
  std::printf("portable_sincos_turn(float): max error %.4f ulp over all 2^32 inputs\n", worst);
  EXPECT_LT(worst, 1.05);
}
#endif

}  // namespace
