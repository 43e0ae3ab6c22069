// gpurand's own copies of cuRAND's transforms (gpurand/detail/transforms.hpp), which let the
// Philox bulk bodies compile without CUDA headers, against cuRAND's originals compiled for the
// host (_curand_uniform, _curand_uniform_double_hq, _curand_box_muller,
// _curand_box_muller_double): bit for bit, on edge inputs and on random ones. The GPU side of
// the same functions (the __sincosf / sincospi branch) is checked in transforms_gpu_test.cu.

#include "gpurand/detail/transforms.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bits.hpp"
#include "gpurand/detail/bulk.hpp"
#include "gpurand/device.cuh"  // cuRAND's device functions, host-callable

namespace gpurand::detail {
namespace {

using test::bits;

/// Edge inputs: 0, 1, the extremes, around 2^31, and where float(x) rounds (above 2^24).
std::vector<std::uint32_t> edge_inputs() {
  return {0u,          1u,          2u,          3u,          0x7FFFFFFFu, 0x80000000u,
          0x80000001u, 0xFFFFFFFFu, 0xFFFFFFFEu, 0xFFFFFF80u, 0xFFFFFF7Fu, 0x00FFFFFFu,
          0x01000000u, 0x01000001u, 0x01000003u, 0x40000000u, 0xC0000000u, 0xAAAAAAAAu,
          0x55555555u, 0x3FFFFFFFu, 0xBFFFFFFFu, 0xFFFFFF00u, 0x000003FFu, 0x00200000u};
}

/// Edge inputs plus `extra` random ones.
std::vector<std::uint32_t> inputs(std::size_t extra, std::uint64_t seed) {
  std::vector<std::uint32_t> v = edge_inputs();
  std::mt19937 rng(static_cast<std::mt19937::result_type>(seed));
  for (std::size_t i = 0; i < extra; ++i) v.push_back(static_cast<std::uint32_t>(rng()));
  return v;
}

TEST(Transforms, ConstantsAreCurands) {
  EXPECT_EQ(bits(CURAND_2POW32_INV), bits(two_pow_m32));
  EXPECT_EQ(bits(CURAND_2POW32_INV / 2.0f), bits(two_pow_m33));
  EXPECT_EQ(bits(CURAND_2POW32_INV_2PI), bits(two_pow_m32_2pi));
  EXPECT_EQ(bits(CURAND_2POW53_INV_DOUBLE), bits(two_pow_m53));
  EXPECT_EQ(bits(CURAND_PI_DOUBLE), bits(pi_double));
  EXPECT_EQ(bits(CURAND_2POW32_INV_DOUBLE), bits(two_pow_m32_double));
}

TEST(Transforms, UniformDoubleOfOneDrawIsCurands) {
  for (std::uint32_t x : inputs(1 << 16, 5)) {
    ASSERT_EQ(bits(_curand_uniform_double(x)), bits(uniform_double_u32(x))) << "x=" << x;
  }
}

TEST(Transforms, UniformFloatIsCurands) {
  for (std::uint32_t x : inputs(1 << 20, 1)) {
    ASSERT_EQ(bits(_curand_uniform(x)), bits(uniform_float(x))) << "x=" << x;
  }
}

TEST(Transforms, UniformDoubleHqIsCurands) {
  const std::vector<std::uint32_t> e = edge_inputs();
  for (std::uint32_t x : e)
    for (std::uint32_t y : e)
      ASSERT_EQ(bits(_curand_uniform_double_hq(x, y)), bits(uniform_double_hq(x, y)))
          << "x=" << x << " y=" << y;
  const std::vector<std::uint32_t> r = inputs(1 << 20, 2);
  for (std::size_t i = 0; i + 1 < r.size(); i += 2)
    ASSERT_EQ(bits(_curand_uniform_double_hq(r[i], r[i + 1])),
              bits(uniform_double_hq(r[i], r[i + 1])))
        << "x=" << r[i] << " y=" << r[i + 1];
}

TEST(Transforms, BoxMullerFloatIsCurands) {
  const auto check = [](std::uint32_t x, std::uint32_t y) {
    const float2 want = _curand_box_muller(x, y);
    const float_pair got = box_muller_float(x, y);
    return bits(want.x) == bits(got.x) && bits(want.y) == bits(got.y);
  };
  const std::vector<std::uint32_t> e = edge_inputs();
  for (std::uint32_t x : e)
    for (std::uint32_t y : e) ASSERT_TRUE(check(x, y)) << "x=" << x << " y=" << y;
  const std::vector<std::uint32_t> r = inputs(1 << 20, 3);
  for (std::size_t i = 0; i + 1 < r.size(); i += 2)
    ASSERT_TRUE(check(r[i], r[i + 1])) << "x=" << r[i] << " y=" << r[i + 1];
}

TEST(Transforms, BoxMullerDoubleIsCurands) {
  const auto check = [](std::uint32_t x0, std::uint32_t x1, std::uint32_t y0, std::uint32_t y1) {
    const double2 want = _curand_box_muller_double(x0, x1, y0, y1);
    const double_pair got = box_muller_double(x0, x1, y0, y1);
    return bits(want.x) == bits(got.x) && bits(want.y) == bits(got.y);
  };
  // Every edge value in every argument position (the others random), then random quadruples.
  const std::vector<std::uint32_t> e = edge_inputs();
  std::mt19937 rng(4);
  for (std::uint32_t v : e)
    for (std::uint32_t w : e)
      for (int pos = 0; pos < 4; ++pos) {
        std::uint32_t a[4];
        for (std::uint32_t& r : a) r = static_cast<std::uint32_t>(rng());
        a[pos] = v;
        a[(pos + 1) % 4] = w;
        ASSERT_TRUE(check(a[0], a[1], a[2], a[3]))
            << a[0] << " " << a[1] << " " << a[2] << " " << a[3];
      }
  for (int i = 0; i < (1 << 18); ++i) {
    const std::uint32_t a = static_cast<std::uint32_t>(rng()),
                        b = static_cast<std::uint32_t>(rng()),
                        c = static_cast<std::uint32_t>(rng()),
                        d = static_cast<std::uint32_t>(rng());
    ASSERT_TRUE(check(a, b, c, d)) << a << " " << b << " " << c << " " << d;
  }
}

/// bulk_group<D> (philox_draw4 + the transform) against `call` (a cuRAND 4-wide or 2-wide call)
/// right after curand_init(seed, sub, offset).
template <dist D, class Call>
::testing::AssertionResult group_is_curands(std::uint64_t seed, std::uint64_t sub,
                                            std::uint64_t offset, Call call) {
  using T = typename bulk_traits<D>::value;
  T got[4];
  bulk_group<D>(seed, offset, sub, fill_params<T>{T(0), T(1)}, got);
  curandStatePhilox4_32_10_t s;
  curand_init(seed, sub, offset, &s);
  const auto want = call(s);
  static_assert(sizeof want == 16);
  if (std::memcmp(got, &want, sizeof want) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << to_string(D) << " differs from cuRAND at seed=" << seed
                                       << " sub=" << sub << " offset=" << offset;
}

TEST(Transforms, BulkGroupIsCurandsFirstFourWideDraw) {
  // The whole shared body for every distribution and lane shift, random streams.
  std::mt19937_64 rng(5);
  for (int i = 0; i < 2000; ++i) {
    const std::uint64_t seed = rng(), sub = rng(), offset = rng() >> (i % 64);
    ASSERT_TRUE(
        group_is_curands<dist::u32>(seed, sub, offset, [](auto& s) { return curand4(&s); }));
    ASSERT_TRUE(group_is_curands<dist::uniform>(seed, sub, offset,
                                                [](auto& s) { return curand_uniform4(&s); }));
    ASSERT_TRUE(group_is_curands<dist::normal>(seed, sub, offset,
                                               [](auto& s) { return curand_normal4(&s); }));
    ASSERT_TRUE(group_is_curands<dist::uniform_double>(
        seed, sub, offset, [](auto& s) { return curand_uniform2_double(&s); }));
    ASSERT_TRUE(group_is_curands<dist::normal_double>(
        seed, sub, offset, [](auto& s) { return curand_normal2_double(&s); }));
  }
}

}  // namespace
}  // namespace gpurand::detail
