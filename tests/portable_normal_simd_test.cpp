// The vectorised portable normal and exponential (src/backend/cpu/portable_normal_simd.*) give
// the scalar bodies' bits at every SIMD level the CPU has, for every split of a fill into calls
// (i.e. every thread count).

#include "backend/cpu/portable_normal_simd.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/simd.hpp"
#include "gpurand/detail/distributions.hpp"
#include "gpurand/detail/portable_math.hpp"
#include "gpurand/gpurand.hpp"
#include "gpurand/philox.hpp"

namespace {

using namespace gpurand::detail;

std::vector<simd_level> levels() {
  std::vector<simd_level> v{simd_level::scalar};
  if (simd_detected() >= simd_level::avx2) v.push_back(simd_level::avx2);
  if (simd_detected() >= simd_level::avx512) v.push_back(simd_level::avx512);
  return v;
}

struct restore_level {
  ~restore_level() { simd_force(simd_detected()); }
};

struct restore_cpu_settings {
  gpurand::cpu_settings saved = gpurand::get_cpu_settings();
  ~restore_cpu_settings() { gpurand::set_cpu_settings(saved); }
};

// The exponential's rates: ordinary ones, and the ends of what the API accepts ([2^-120,
// FLT_MAX]: there the largest values are near FLT_MAX, the smallest subnormal or zero).
const float kLambdas[] = {1.0f, 0.5f, 3.7f, 1e-30f, 1e30f, 0x1p-120f,
                          std::numeric_limits<float>::max()};

std::uint32_t bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

std::vector<std::uint32_t> inputs(std::size_t n) {
  std::mt19937 rng(2026);
  std::vector<std::uint32_t> in(n);
  for (auto& x : in) x = rng();
  // Edges: u = 1 (x = 2^32 - 1), the smallest u (x = 0), octant boundaries of the angle.
  const std::uint32_t edges[] = {0u,          0xFFFFFFFFu, 0x1FFFFFFFu, 0x20000000u,
                                 0x7FFFFFFFu, 0x80000000u, 0xDFFFFFFFu, 0xE0000000u};
  for (std::size_t i = 0; i < sizeof edges / sizeof edges[0]; ++i) {
    in[2 * i] = edges[i];
    in[2 * i + 1] = edges[i];
    in[100 + 2 * i + 1] = edges[(i + 1) % 8];
  }
  return in;
}

TEST(PortableNormalSimd, FloatEqualsScalarBodyAtEveryLevel) {
  restore_level restore;
  const std::size_t pairs = (1u << 22) + 13;  // a ragged tail
  const auto in = inputs(2 * pairs);
  std::vector<float> want(2 * pairs);
  for (std::size_t p = 0; p < pairs; ++p) {
    const auto r = portable_box_muller_pair(in[2 * p], in[2 * p + 1]);
    want[2 * p] = std::fma(r.x, 1.5f, -0.25f);
    want[2 * p + 1] = std::fma(r.y, 1.5f, -0.25f);
  }
  for (const simd_level l : levels()) {
    simd_force(l);
    std::vector<float> got(2 * pairs);
    portable_normal_from_u32(in.data(), pairs, got.data(), -0.25f, 1.5f);
    ASSERT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float))) << to_string(l);
  }
}

TEST(PortableNormalSimd, DoubleEqualsScalarBodyAtEveryLevel) {
  restore_level restore;
  const std::size_t groups = (1u << 21) + 5;
  const auto in = inputs(4 * groups);
  std::vector<double> want(2 * groups);
  for (std::size_t j = 0; j < groups; ++j) {
    const auto r =
        portable_box_muller_double(in[4 * j], in[4 * j + 1], in[4 * j + 2], in[4 * j + 3]);
    want[2 * j] = std::fma(r.x, 2.0, 1.0);
    want[2 * j + 1] = std::fma(r.y, 2.0, 1.0);
  }
  for (const simd_level l : levels()) {
    simd_force(l);
    std::vector<double> got(2 * groups);
    portable_normal_double_from_u32(in.data(), groups, got.data(), 1.0, 2.0);
    ASSERT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(double))) << to_string(l);
  }
}

TEST(PortableNormalSimd, GroupsAreThePortablePairsOfPhiloxDrawsForAnySplit) {
  restore_level restore;
  const std::uint64_t seed = 0x1234567890ABCDEFull, offset = 6;
  const std::size_t groups = 5000;
  std::vector<std::uint32_t> draws(4 * groups);
  philox_u32_groups(seed, offset, 77, groups, draws.data(), false);
  std::vector<float> want(4 * groups);
  std::vector<double> want_d(2 * groups);
  for (std::size_t j = 0; j < groups; ++j) {
    const auto a = portable_box_muller_pair(draws[4 * j], draws[4 * j + 1]);
    const auto b = portable_box_muller_pair(draws[4 * j + 2], draws[4 * j + 3]);
    want[4 * j] = a.x;
    want[4 * j + 1] = a.y;
    want[4 * j + 2] = b.x;
    want[4 * j + 3] = b.y;
    const auto d = portable_box_muller_double(draws[4 * j], draws[4 * j + 1], draws[4 * j + 2],
                                              draws[4 * j + 3]);
    want_d[2 * j] = d.x;
    want_d[2 * j + 1] = d.y;
  }
  for (const simd_level l : levels()) {
    simd_force(l);
    for (const std::size_t split : {std::size_t{1}, std::size_t{3}, std::size_t{1000}, groups}) {
      std::vector<float> got(4 * groups);
      std::vector<double> got_d(2 * groups);
      for (std::size_t j = 0; j < groups; j += split) {
        const std::size_t n = std::min(split, groups - j);
        portable_normal_groups(seed, offset, 77 + j, n, got.data() + 4 * j, 0.0f, 1.0f);
        portable_normal_double_groups(seed, offset, 77 + j, n, got_d.data() + 2 * j, 0.0, 1.0);
      }
      ASSERT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float)))
          << to_string(l) << " split " << split;
      ASSERT_EQ(0, std::memcmp(got_d.data(), want_d.data(), got_d.size() * sizeof(double)))
          << to_string(l) << " split " << split;
    }
  }
}

TEST(ExponentialSimd, EqualsScalarBodyAtEveryLevelForEveryLengthAndLambda) {
  restore_level restore;
  std::mt19937 rng(77);
  std::vector<std::uint32_t> in(5000);
  for (auto& x : in) x = rng();
  // The extreme draws: x = 0 (u = 2^-33, the largest value) and x = 2^32 - 1 (u = 1, +0), at
  // the start, in a vector's middle, in every tail position of a short call and at the end.
  for (const std::size_t i : {0, 5, 9, 16, 31, 40, 66, 69, 4998})
    in[i] = i % 2 ? 0xFFFFFFFFu : 0u;
  in[4999] = 0xFFFFFFFFu;
  std::vector<std::size_t> lengths;
  for (std::size_t n = 1; n <= 70; ++n) lengths.push_back(n);
  lengths.push_back(4099);
  lengths.push_back(5000);
  constexpr std::size_t guard = 32;
  const float canary = -1.0f;
  for (const float lambda : kLambdas) {
    std::vector<float> want(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) want[i] = exponential_from_u32(in[i], lambda);
    for (const simd_level l : levels()) {
      simd_force(l);
      for (const std::size_t n : lengths) {
        // Every starting point of a call mod the vector width: a piece of a larger array.
        for (const std::size_t start : {std::size_t{0}, std::size_t{3}}) {
          if (start + n > in.size()) continue;
          std::vector<float> got(n + guard, canary);
          exponentials_from_u32(in.data() + start, n, got.data(), lambda);
          const std::string what = std::string(to_string(l)) + " lambda " +
                                   std::to_string(lambda) + " n " + std::to_string(n) +
                                   " start " + std::to_string(start);
          ASSERT_EQ(0, std::memcmp(got.data(), want.data() + start, n * sizeof(float))) << what;
          for (std::size_t i = n; i < n + guard; ++i)
            ASSERT_EQ(bits(canary), bits(got[i])) << what << ": wrote past the end at " << i;
        }
      }
    }
  }
}

TEST(ExponentialSimd, ExtremeDrawsGivePlusZeroAndTheLargestValueAtEveryLevel) {
  restore_level restore;
  const std::uint32_t in[3] = {0xFFFFFFFFu, 0u, 0x80000000u};
  for (const simd_level l : levels()) {
    simd_force(l);
    for (const float lambda : kLambdas) {
      float got[3];
      exponentials_from_u32(in, 3, got, lambda);
      // u = 1: 0 - log(1) = 0 - (+0) = +0, and +0 / lambda = +0 (not -0).
      EXPECT_EQ(0u, bits(got[0])) << to_string(l) << " lambda " << lambda;
      // u = 2^-33: -log(2^-33) = 33 ln 2, and u = 1/2 + 2^-33 rounds to 1/2: ln 2, within
      // float's rounding of the log and of the division.
      const double big = 33.0 * std::log(2.0) / lambda, half = std::log(2.0) / lambda;
      // (FLT_MAX: ln 2 / lambda is subnormal, 1.4e-45 apart.)
      EXPECT_NEAR(got[1], big, 4e-7 * big + 1e-45) << to_string(l) << " lambda " << lambda;
      EXPECT_NEAR(got[2], half, 4e-7 * half + 1e-45) << to_string(l) << " lambda " << lambda;
    }
  }
}

// A CPU fill (value i: exponential_from_u32 of word i % 4 of group i / 4's Philox block) at
// every level, for several thread counts and task sizes, against the scalar body on the scalar
// Philox of gpurand/philox.hpp.
TEST(ExponentialSimd, FillsEqualTheScalarBodyForEveryThreadCount) {
  restore_level restore;
  restore_cpu_settings restore_settings;
  const std::uint64_t seed = 0xC0FFEE;
  std::vector<std::size_t> lengths;
  for (std::size_t n = 1; n <= 70; ++n) lengths.push_back(n);
  lengths.push_back(4099);
  lengths.push_back(8195);  // more than one chunk of draws per task
  const gpurand::cpu_settings settings[] = {{1, 0}, {2, 1}, {3, 5}, {4, 300}};
  for (const simd_level l : levels()) {
    simd_force(l);
    for (const auto& cs : settings) {
      gpurand::set_cpu_settings(cs);
      gpurand::options o;
      o.seed = seed;
      o.backend = gpurand::backend_kind::cpu;
      gpurand::Generator gen(o);
      for (const float lambda : {1.0f, 0.5f, 3.7f, 1e-30f, 1e30f}) {
        for (const std::size_t n : lengths) {
          const std::uint64_t offset = gen.offset();
          std::vector<float> got(n);
          gen.exponential(got.data(), n, lambda);
          std::vector<float> want(n);
          for (std::size_t i = 0; i < n; ++i)
            want[i] = exponential_from_u32(gpurand::philox_draw4(seed, i / 4, offset).v[i % 4], lambda);
          ASSERT_EQ(0, std::memcmp(got.data(), want.data(), n * sizeof(float)))
              << to_string(l) << " threads " << cs.threads << " block " << cs.block
              << " lambda " << lambda << " n " << n;
        }
      }
    }
  }
}

}  // namespace
