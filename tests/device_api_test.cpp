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
static_assert(std::is_trivially_copyable_v<discrete_view>, "passed by value into kernels");
static_assert(std::is_trivially_copyable_v<bernoulli_param>, "passed by value into kernels");

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
      else if (d == dist::normal_portable_double)
        (void)s.normal_portable_double();
      else if (d == dist::exponential)
        (void)s.exponential(test_lambda);
      else if (d == dist::bernoulli)
        (void)s.bernoulli(test_p);
      else if (d == dist::discrete)
        (void)s.discrete(test_table().host_view());
      else if (d == dist::integer)
        (void)s.integer(3, 1000);
      else if (d == dist::integer64)
        (void)s.integer64(3, 1000);
      else
        FAIL() << "no stream method for " << to_string(d);
    }
  }
}

TEST(DeviceApi, IntegersFollowTheWideLemireDefinitionOnNextDraws) {
  // Values of one accepted try, from the definition with 128-bit arithmetic.
  for (const std::uint64_t low : {std::uint64_t{0}, std::uint64_t{7}})
    for (const std::uint64_t r : {std::uint64_t{1}, std::uint64_t{3}, std::uint64_t{3} << 30,
                                  (std::uint64_t{1} << 32) - 7 - low}) {
      auto a = philox_stream(9, 2, 4), b = philox_stream(9, 2, 4);
      for (int i = 0; i < 200; ++i) {
        const std::uint64_t x = (std::uint64_t{b.next()} << 32) | b.next();
        const auto want = static_cast<std::uint32_t>(
            low + ((static_cast<unsigned __int128>(x) * r) >> 64));
        ASSERT_EQ(want, a.integer(low, low + r)) << "range " << r;
      }
    }
  {  // high - low = 2^32: the first word of the try, two draws.
    auto a = philox_stream(9, 2, 4), b = philox_stream(9, 2, 4);
    for (int i = 0; i < 50; ++i) {
      const std::uint32_t x = b.next();
      (void)b.next();
      ASSERT_EQ(x, a.integer(0, std::uint64_t{1} << 32));
    }
  }
  for (const std::uint64_t r : {std::uint64_t{5}, ~std::uint64_t{0} - 1000, std::uint64_t{1} << 63}) {
    auto a = philox_stream(9, 3, 0), b = philox_stream(9, 3, 0);
    for (int i = 0; i < 200; ++i) {
      std::uint64_t w[2];
      for (auto& v : w) v = (std::uint64_t{b.next()} << 32) | b.next();
      const unsigned __int128 x = (static_cast<unsigned __int128>(w[0]) << 64) | w[1];
      // value = (x * r) >> 128, computed as hi(x_hi * r) plus the carry of the middle words.
      const unsigned __int128 hi = static_cast<unsigned __int128>(w[0]) * r;
      const unsigned __int128 lo = static_cast<unsigned __int128>(w[1]) * r;
      const unsigned __int128 mid = (hi & ~std::uint64_t{0}) + (lo >> 64);
      const std::uint64_t want = static_cast<std::uint64_t>((hi >> 64) + (mid >> 64));
      (void)x;
      ASSERT_EQ(1000 + want, a.integer64(1000, 1000 + r)) << "range " << r;
    }
  }
}

TEST(DeviceApi, OwnDistributionsFollowTheirDefinitionsOnNextDraws) {
  auto a = philox_stream(5, 3, 8), b = philox_stream(5, 3, 8);
  const bernoulli_param coin(test_p);
  const discrete_view view = test_table().host_view();
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(a.exponential(2.0f), detail::exponential_from_u32(b.next(), 2.0f));
    EXPECT_EQ(a.bernoulli(test_p), detail::bernoulli_from_u32(b.next(), coin.threshold));
    EXPECT_EQ(a.bernoulli(coin), detail::bernoulli_from_u32(b.next(), coin.threshold));
    const unsigned x1 = b.next(), x2 = b.next();
    EXPECT_EQ(a.discrete(view), detail::alias_sample(view.entries, view.size, x1, x2));
  }
  EXPECT_EQ(bernoulli_param(std::nan("")).threshold, 0u);
  EXPECT_EQ(bernoulli_param(-1.0).threshold, 0u);
  EXPECT_EQ(bernoulli_param(2.0).threshold, std::uint64_t{1} << 32);
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
  // A try of integer takes two draws, integer64 four: every draw counts (a rejected try's
  // draws come from next() too, so they are counted the same way).
  EXPECT_DEATH(
      {
        auto s = h.stream(6);
        (void)s.integer(0, 10);
        (void)s.next();
        (void)s.integer(0, 10);
      },
      "subsequence 6 drew past its launch window");
  EXPECT_DEATH(
      {
        auto s = h.stream(7);
        (void)s.next();
        (void)s.integer64(0, 10);
      },
      "subsequence 7 drew past its launch window");
  // discrete takes two draws: a window with one left is caught before the value.
  EXPECT_DEATH(
      {
        auto s = h.stream(4);
        for (int i = 0; i < 3; ++i) (void)s.next();
        (void)s.discrete(test_table().host_view());
      },
      "subsequence 4 drew past its launch window");
  // A view that cannot be read here (a device view on the host, an empty view) stops the
  // thread instead of reading the wrong memory.
  EXPECT_DEATH(
      {
        discrete_view v = test_table().host_view();
        v.space = memory_space::device;
        auto s = h.stream(1);
        (void)s.discrete(v);
      },
      "got a device view in host code");
  EXPECT_DEATH(
      {
        auto s = h.stream(1);
        (void)s.discrete(discrete_view{});
      },
      "got an empty view");
}

}  // namespace
}  // namespace gpurand::test
