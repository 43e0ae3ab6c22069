// The device API (gpurand/device.cuh) run on the host: the same
// __host__ __device__ code a kernel runs, checked against cuRAND.

#define GPURAND_CHECK_WINDOW 1  // this suite tests the window check itself
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <type_traits>

#include "curand_ref.hpp"
#include "gpurand/device.cuh"

namespace gpurand::test {
namespace {

static_assert(std::is_trivially_copyable_v<launch_handle>, "passed by value into kernels");
static_assert(sizeof(launch_handle) == 32, "four 64-bit words: seed, offset, draws, report");

TEST(DeviceApi, StreamEqualsCurandForEveryEngineAndCall) {
  const launch_handle h{0xfeedfacecafebeefull, 8, 1 << 20};
  for (std::uint64_t id : {std::uint64_t{0}, std::uint64_t{5}, ~std::uint64_t{0}}) {
    auto p = h.stream(id);
    curandStatePhilox4_32_10_t s;
    curand_init(h.seed, id, h.offset, &s);
    for (int i = 0; i < 9; ++i) ASSERT_EQ(curand(&s), p.next());
    for (int i = 0; i < 9; ++i) ASSERT_EQ(curand_uniform(&s), p.uniform());
    for (int i = 0; i < 9; ++i) ASSERT_EQ(curand_normal(&s), p.normal());
    for (int i = 0; i < 9; ++i) ASSERT_EQ(curand_uniform_double(&s), p.uniform_double());
    for (int i = 0; i < 9; ++i) ASSERT_EQ(curand_normal_double(&s), p.normal_double());
    const uint4 a = curand4(&s), b = p.next4();
    ASSERT_EQ(0, std::memcmp(&a, &b, sizeof a));
    const float4 c = curand_uniform4(&s), d = p.uniform4();
    ASSERT_EQ(0, std::memcmp(&c, &d, sizeof c));
    const float4 e = curand_normal4(&s), f = p.normal4();
    ASSERT_EQ(0, std::memcmp(&e, &f, sizeof e));
    const double2 g = curand_uniform2_double(&s), k = p.uniform2_double();
    ASSERT_EQ(0, std::memcmp(&g, &k, sizeof g));
    const double2 m = curand_normal2_double(&s), n = p.normal2_double();
    ASSERT_EQ(0, std::memcmp(&m, &n, sizeof m));
  }
  auto x = h.stream<engine::xorwow>(3);
  auto r = h.stream<engine::mrg32k3a>(3);
  curandStateXORWOW_t xs;
  curandStateMRG32k3a_t rs;
  curand_init(h.seed, 3, h.offset, &xs);
  curand_init(h.seed, 3, h.offset, &rs);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(curand(&xs), x.next());
    ASSERT_EQ(curand_normal(&xs), x.normal());
    ASSERT_EQ(curand_uniform_double(&xs), x.uniform_double());
    ASSERT_EQ(curand(&rs), r.next());
    ASSERT_EQ(curand_normal_double(&rs), r.normal_double());
  }
}

TEST(DeviceApi, DiscardEqualsDrawing) {
  for (unsigned long long n : {1ull, 2ull, 5ull, 64ull}) {
    philox_stream a(1, 2, 3), b(1, 2, 3);
    a.discard(n);
    for (unsigned long long i = 0; i < n; ++i) (void)b();
    ASSERT_EQ(a(), b()) << n;
  }
}

TEST(DeviceApi, IsARandomNumberEngineForTheStandardLibrary) {
  philox_stream s(42, 0, 0);
  std::uniform_int_distribution<int> die(1, 6);
  int counts[7] = {};
  for (int i = 0; i < 6000; ++i) ++counts[die(s)];
  for (int f = 1; f <= 6; ++f) EXPECT_GT(counts[f], 800) << "face " << f;
  static_assert(philox_stream::max() == 0xffffffffu);
}

TEST(DeviceApi, DrawsAccountingMatchesTheHostApi) {
  // A window of draws_for(k) fits k values of each kind exactly.
  for (dist d : all_dists) {
    const std::uint64_t k = 7;
    const launch_handle h{1, 0, draws_for(engine::philox4_32_10, d, k)};
    auto s = h.stream(0);
    for (std::uint64_t i = 0; i < k; ++i) {
      if (d == dist::u32)
        (void)s.next();
      else if (d == dist::uniform)
        (void)s.uniform();
      else if (d == dist::normal)
        (void)s.normal();
      else if (d == dist::uniform_double)
        (void)s.uniform_double();
      else if (d == dist::normal_double)
        (void)s.normal_double();
      else if (d == dist::normal_portable)
        (void)s.normal_portable();
      else if (d == dist::log_normal)
        (void)s.log_normal(0.5f, 2.0f);
      else if (d == dist::log_normal_double)
        (void)s.log_normal_double(0.5, 2.0);
      else if (d == dist::poisson)  // a cap: 256 draws a value
        (void)s.poisson(63.99);
      else
        (void)s.normal_portable_double();
    }
  }
}

TEST(DeviceApiDeathTest, DrawingPastTheLaunchWindowIsCaught) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const launch_handle h{1, 0, 4};
  EXPECT_DEATH(
      {
        auto s = h.stream(9);
        for (int i = 0; i < 5; ++i) (void)s.next();
      },
      "subsequence 9 drew past its launch window");
  EXPECT_DEATH(
      {
        auto s = h.stream(2);
        (void)s.normal4();
        (void)s.normal();
      },
      "drew past");
}

}  // namespace
}  // namespace gpurand::test
