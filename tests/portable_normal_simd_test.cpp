// The vectorised portable normal (src/portable_normal_simd.*) gives the scalar body's bits at
// every SIMD level the CPU has, for every split of a fill into calls (i.e. every thread count).

#include "backend/cpu/portable_normal_simd.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "backend/cpu/simd.hpp"
#include "gpurand/detail/portable_math.hpp"

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

}  // namespace
