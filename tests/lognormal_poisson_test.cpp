// Log-normal and Poisson against cuRAND's device functions compiled for the host (ground
// truth), bit for bit: bulk fills vs curand_log_normal4 / curand_log_normal2_double /
// curand_poisson4, the per-thread writer vs curand_log_normal / curand_poisson for every engine,
// the device API (including the Box-Muller caches log-normal shares with the normals and the
// exact window accounting of poisson), the per-element lambdas layout, every bad parameter
// (nothing consumed), and the variable-draw budget (Error(exhausted), never an overlap).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "backend/cpu/fill.hpp"
#include "curand_ref.hpp"
#include "expect_error.hpp"
#include "gpurand/detail/variable.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::test {
namespace {

constexpr std::uint64_t max64 = ~std::uint64_t{0};

// cuRAND's regime boundaries (lambda < 64 Knuth, 64..4000 gammainc, > 4000 normal), tiny and
// large lambdas, and the largest gpurand accepts.
const double kLambdas[] = {1e-300, 1e-3,    0.5,    5.0,     63.99, 64.0, 64.5,
                           700.0,  3999.99, 4000.0, 4000.01, 1e5,   1e6,  4e9};

Generator cpu_gen(std::uint64_t seed) {
  options o;
  o.seed = seed;
  o.backend = backend_kind::cpu;
  return Generator(o);
}

std::vector<unsigned char> poisson_bulk(std::uint64_t seed, std::uint64_t offset,
                                        std::uint64_t first_group, std::size_t n, double lambda,
                                        const double* lambdas = nullptr) {
  bulk_request r;
  r.kind = dist::poisson;
  r.seed = seed;
  r.offset = offset;
  r.first_group = first_group;
  r.n = n;
  r.lambda = lambda;
  r.lambdas = lambdas;
  r.backend = backend_kind::cpu;
  std::vector<unsigned char> out(n * 4);
  fill(r, out.data());
  return out;
}

/// Restores the CPU backend's variable-draw budget when a test ends.
struct scoped_budget {
  explicit scoped_budget(std::uint64_t draws) { detail::set_cpu_draw_budget_for_testing(draws); }
  ~scoped_budget() { detail::set_cpu_draw_budget_for_testing(0); }
};

// ---- bit-exact against cuRAND ----------------------------------------------------------------

TEST(Poisson, BulkEqualsCurandPoisson4InEveryRegime) {
  for (const double lambda : kLambdas)
    for (std::uint64_t off : {std::uint64_t{0}, std::uint64_t{3}, std::uint64_t{8}})
      for (std::size_t n : {std::size_t{1}, std::size_t{37}, std::size_t{402}}) {
        const auto got = poisson_bulk(21, off, 0, n, lambda);
        const auto want = ref_bulk(dist::poisson, 21, off, 0, n, 0, 1, lambda);
        ASSERT_EQ(want, got) << "lambda=" << lambda << " offset=" << off << " n=" << n;
      }
}

TEST(Poisson, BulkAtTheLastSubsequenceAndOffset) {
  for (const double lambda : {5.0, 100.0, 1e6}) {
    const std::uint64_t off = max64 - bulk_draws(dist::poisson) + 1;  // the last window
    const auto got = poisson_bulk(3, off, max64 - 3, 16, lambda);
    for (std::uint64_t j = 0; j < 4; ++j) {
      curandStatePhilox4_32_10_t s;
      curand_init(3, max64 - 3 + j, off, &s);
      const uint4 r = curand_poisson4(&s, lambda);
      ASSERT_EQ(0, std::memcmp(got.data() + 16 * j, &r, 16)) << lambda << " group " << j;
    }
  }
}

TEST(Poisson, PerElementLambdasAreConsecutiveCurandPoissonCallsPerGroup) {
  // Every regime in one group, in every order: values of a group share one state, including
  // the cached second normal of the lambda > 4000 regime.
  std::vector<double> lambdas;
  for (int i = 0; i < 301; ++i) lambdas.push_back(kLambdas[(i * 7 + i / 5) % 14]);
  const std::size_t n = lambdas.size();
  const auto got = poisson_bulk(8, 12, 0, n, 1.0, lambdas.data());
  ASSERT_EQ(ref_bulk(dist::poisson, 8, 12, 0, n, 0, 1, 1.0, lambdas.data()), got);
  // The same lambda everywhere is the one-lambda layout (curand_poisson4).
  for (const double lambda : {2.0, 300.0, 5e4}) {
    const std::vector<double> same(99, lambda);
    EXPECT_EQ(poisson_bulk(8, 12, 0, 99, lambda), poisson_bulk(8, 12, 0, 99, 0.5, same.data()))
        << lambda;
  }
}

TEST(Poisson, PerElementFillInPiecesEqualsOneFill) {
  std::vector<double> lambdas(1001);
  for (std::size_t i = 0; i < lambdas.size(); ++i) lambdas[i] = 0.1 + 9000.0 * (i % 3) + i;
  const auto whole = poisson_bulk(4, 0, 0, lambdas.size(), 1.0, lambdas.data());
  bulk_request req;
  req.kind = dist::poisson;
  req.seed = 4;
  req.n = lambdas.size();
  req.lambdas = lambdas.data();
  req.backend = backend_kind::cpu;
  std::vector<unsigned char> joined;
  for (std::uint64_t part = 0; part < 7; ++part) {
    const bulk_request piece = split(req, part, 7);
    std::vector<unsigned char> out(piece.n * 4);
    fill(piece, out.data());
    joined.insert(joined.end(), out.begin(), out.end());
  }
  EXPECT_EQ(whole, joined);
  // And whatever the CPU backend's work split.
  for (unsigned threads : {1u, 3u})
    for (std::uint64_t block : {std::uint64_t{1}, std::uint64_t{5}}) {
      scoped_cpu_settings cfg(threads, block);
      EXPECT_EQ(whole, poisson_bulk(4, 0, 0, lambdas.size(), 1.0, lambdas.data()));
    }
}

TEST(Poisson, GridEqualsCurandPoissonForEveryEngineAndRegime) {
  for (engine e : all_engines)
    for (const double lambda : kLambdas) {
      detail::fill_params<double> p;
      p.lambda = lambda;
      const std::uint64_t threads = 3, k = 9;
      const auto got = cpu_grid(e, dist::poisson, 99, 5, 0, threads, k, false, p);
      for (std::uint64_t g = 0; g < threads; ++g) {
        const auto want = ref_stream(e, dist::poisson, 99, g, 5, k, p);
        ASSERT_EQ(0, std::memcmp(got.data() + g * want.size(), want.data(), want.size()))
            << to_string(e) << " lambda=" << lambda << " thread " << g;
      }
    }
}

TEST(LogNormal, BulkEqualsCurandLogNormal4AndLogNormal2Double) {
  for (dist d : {dist::log_normal, dist::log_normal_double})
    for (const auto& [mean, sd] : {std::pair{0.0, 1.0}, {-3.5, 2.25}, {1.5, 0.0}, {-80.0, 20.0}})
      for (std::uint64_t off : {std::uint64_t{0}, std::uint64_t{2}, max64 - 3}) {
        bulk_request r;
        r.kind = d;
        r.seed = 6;
        r.offset = off;
        r.n = 203;
        r.mean = mean;
        r.stddev = sd;
        r.backend = backend_kind::cpu;
        std::vector<unsigned char> got(r.n * value_size(d));
        fill(r, got.data());
        ASSERT_EQ(ref_bulk(d, 6, off, 0, r.n, mean, sd), got)
            << to_string(d) << " mean=" << mean << " stddev=" << sd << " offset=" << off;
      }
}

TEST(LogNormal, GridEqualsCurandLogNormalForEveryEngine) {
  for (engine e : all_engines)
    for (dist d : {dist::log_normal, dist::log_normal_double}) {
      detail::fill_params<double> p;
      p.mean = 0.25;
      p.stddev = 1.75;
      const auto got = cpu_grid(e, d, 1234, 7, 0, 4, 11, false, p);  // odd: the cached value
      for (std::uint64_t g = 0; g < 4; ++g) {
        const auto want = ref_stream(e, d, 1234, g, 7, 11, p);
        ASSERT_EQ(0, std::memcmp(got.data() + g * want.size(), want.data(), want.size()))
            << to_string(e) << "/" << to_string(d) << " thread " << g;
      }
    }
}

// ---- the device API ----------------------------------------------------------------------------

template <engine E, class State>
void expect_device_api_matches_curand() {
  // A mix of calls on one stream: log-normal shares the Box-Muller caches with normal() and
  // normal_double(), and poisson's normal regime uses normal_double()'s cache.
  basic_stream<E> s(77, 5, 3);
  State r;
  curand_init(77, 5, 3, &r);
  for (int round = 0; round < 40; ++round) {
    const int what = (round * 5 + round / 3) % 7;
    const double lambda = kLambdas[round % 14];
    switch (what) {
      case 0: ASSERT_EQ(curand_log_normal(&r, 0.5f, 1.5f), s.log_normal(0.5f, 1.5f)); break;
      case 1: ASSERT_EQ(curand_normal(&r), s.normal()); break;
      case 2:
        ASSERT_EQ(curand_log_normal_double(&r, -1.0, 0.5), s.log_normal_double(-1.0, 0.5));
        break;
      case 3: ASSERT_EQ(curand_normal_double(&r), s.normal_double()); break;
      default: ASSERT_EQ(curand_poisson(&r, lambda), s.poisson(lambda)) << lambda; break;
    }
  }
  ASSERT_EQ(curand(&r), s.next());  // the same position afterwards
}

TEST(DeviceApiDistributions, LogNormalAndPoissonEqualCurandOnEveryEngine) {
  expect_device_api_matches_curand<engine::philox4_32_10, curandStatePhilox4_32_10_t>();
  expect_device_api_matches_curand<engine::xorwow, curandStateXORWOW_t>();
  expect_device_api_matches_curand<engine::mrg32k3a, curandStateMRG32k3a_t>();
}

/// Draws that `values` consecutive poisson(lambda) take on Philox stream (seed, id, 0), counted
/// by a cursor (which is independent of basic_stream's accounting).
std::uint64_t poisson_draws(double lambda, std::uint64_t id, int values) {
  detail::draw_cursor c(1, id, 0, 1 << 20);
  for (int i = 0; i < values; ++i) (void)detail::poisson_value(c, lambda);
  return (1 << 20) - c.left();
}

TEST(DeviceApiDistributions, PoissonCountsItsDrawsExactly) {
  // A window of exactly the draws taken is enough (a checked build would trap otherwise), and
  // the stream then stands at curand_init(seed, id, draws): the count is the position.
  for (const double lambda : {0.5, 30.0, 500.0, 1e5})
    for (std::uint64_t id = 0; id < 4; ++id) {
      const std::uint64_t used = poisson_draws(lambda, id, 5);
      const launch_handle h{1, 0, used};
      auto s = h.stream(id);
      for (int i = 0; i < 5; ++i) (void)s.poisson(lambda);
      curandStatePhilox4_32_10_t r;
      curand_init(1, id, used, &r);
      ASSERT_EQ(curand(&r), curand(&s.state())) << "lambda " << lambda << " id " << id;
    }
}

#if GPURAND_CHECK_WINDOW
TEST(DeviceApiDistributionsDeathTest, PoissonOneDrawShortOfItsWindowIsCaught) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  for (const double lambda : {30.0, 500.0}) {
    const std::uint64_t used = poisson_draws(lambda, 2, 3);
    const launch_handle h{1, 0, used - 1};
    EXPECT_DEATH(
        {
          auto s = h.stream(2);
          for (int i = 0; i < 3; ++i) (void)s.poisson(lambda);
        },
        "subsequence 2 drew past its launch window");
  }
}
#endif

// ---- the host API
// --------------------------------------------------------------------------------

TEST(GeneratorDistributions, LogNormalAndPoissonFillsAdvanceByTheirBulkDraws) {
  auto gen = cpu_gen(2024);
  std::vector<float> f(77);
  std::vector<double> d(77);
  std::vector<std::uint32_t> u(77);
  std::uint64_t o = gen.offset();
  gen.log_normal(f.data(), f.size(), 0.5f, 0.25f);
  EXPECT_EQ(o + 4, gen.offset());
  std::vector<unsigned char> bytes(f.size() * 4);
  std::memcpy(bytes.data(), f.data(), bytes.size());
  EXPECT_EQ(ref_bulk(dist::log_normal, 2024, o, 0, f.size(), 0.5, 0.25), bytes);
  o = gen.offset();
  gen.log_normal(d.data(), d.size(), 0.5, 0.25);
  bytes.resize(d.size() * 8);
  std::memcpy(bytes.data(), d.data(), bytes.size());
  EXPECT_EQ(ref_bulk(dist::log_normal_double, 2024, o, 0, d.size(), 0.5, 0.25), bytes);
  o = gen.offset();
  gen.poisson(u.data(), u.size(), 700.0);
  EXPECT_EQ(o + bulk_draws(dist::poisson), gen.offset());
  EXPECT_EQ(1024u, bulk_draws(dist::poisson));
  bytes.resize(u.size() * 4);
  std::memcpy(bytes.data(), u.data(), bytes.size());
  EXPECT_EQ(ref_bulk(dist::poisson, 2024, o, 0, u.size(), 0, 1, 700.0), bytes);
  std::vector<double> lambdas(u.size());
  for (std::size_t i = 0; i < lambdas.size(); ++i) lambdas[i] = 1.0 + 100.0 * i;
  o = gen.offset();
  gen.poisson(u.data(), u.size(), lambdas.data());
  EXPECT_EQ(o + 1024, gen.offset());
  std::memcpy(bytes.data(), u.data(), bytes.size());
  EXPECT_EQ(ref_bulk(dist::poisson, 2024, o, 0, u.size(), 0, 1, 1.0, lambdas.data()), bytes);
}

TEST(GeneratorDistributions, ReserveFillTakesTheParametersAndSplitsLikeOneFill) {
  auto a = cpu_gen(5), b = cpu_gen(5);
  std::vector<double> lambdas(333);
  for (std::size_t i = 0; i < lambdas.size(); ++i) lambdas[i] = 0.5 + 37.0 * i;
  std::vector<std::uint32_t> whole(lambdas.size());
  a.poisson(whole.data(), whole.size(), lambdas.data());
  bulk_request shape;
  shape.kind = dist::poisson;
  shape.n = lambdas.size();
  shape.lambdas = lambdas.data();
  const bulk_request req = b.reserve_fill(shape);
  EXPECT_EQ(a.offset(), b.offset());
  std::vector<std::uint32_t> joined;
  for (std::uint64_t part = 0; part < 4; ++part) {
    const bulk_request piece = split(req, part, 4);
    std::vector<std::uint32_t> out(piece.n);
    fill(piece, out.data());
    joined.insert(joined.end(), out.begin(), out.end());
  }
  EXPECT_EQ(whole, joined);
}

TEST(GeneratorDistributions, BadParametersNameTheArgumentAndConsumeNothing) {
  auto gen = cpu_gen(9);
  const std::uint64_t o = gen.offset();
  std::vector<std::uint32_t> u(10);
  std::vector<float> f(10);
  std::vector<double> d(10);
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  for (const double lambda : {0.0, -1.0, -0.0, nan, inf, 4.0000001e9, 1e300}) {
    expect_error(errc::invalid_argument, "lambda",
                 [&] { gen.poisson(u.data(), u.size(), lambda); });
    expect_error(errc::invalid_argument, "lambda",
                 [&] { gen.poisson_async(u.data(), u.size(), lambda, nullptr); });
    std::vector<double> lambdas(10, 3.0);
    lambdas[7] = lambda;
    expect_error(errc::invalid_argument, "lambdas[7]",
                 [&] { gen.poisson(u.data(), u.size(), lambdas.data()); });
  }
  expect_error(errc::invalid_argument, "lambdas",
               [&] { gen.poisson(u.data(), u.size(), static_cast<const double*>(nullptr)); });
  for (const auto& [mean, sd, arg] : {std::tuple{nan, 1.0, "mean"},
                                      {inf, 1.0, "mean"},
                                      {0.0, -1.0, "stddev"},
                                      {0.0, nan, "stddev"},
                                      {0.0, inf, "stddev"},
                                      {80.0, 2.0, "stddev"},
                                      {0.0, 14.0, "stddev"}}) {
    expect_error(errc::invalid_argument, arg, [&, mean = mean, sd = sd] {
      gen.log_normal(f.data(), f.size(), static_cast<float>(mean), static_cast<float>(sd));
    });
  }
  expect_error(errc::invalid_argument, "stddev",
               [&] { gen.log_normal(d.data(), d.size(), 0.0, 83.0); });
  expect_error(errc::invalid_argument, "mean",
               [&] { gen.log_normal(d.data(), d.size(), nan, 1.0); });
  // A float fill's mean must fit in float (a double fill takes any finite mean).
  bulk_request lf;
  lf.kind = dist::log_normal;
  lf.n = f.size();
  lf.mean = -1e300;
  lf.backend = backend_kind::cpu;
  expect_error(errc::invalid_argument, "mean", [&] { fill(lf, f.data()); });
  gen.log_normal(d.data(), d.size(), -1e300, 1.0);
  for (const double v : d) EXPECT_EQ(0.0, v);
  // Near the limits, accepted: the largest value stays finite.
  gen.log_normal(d.data(), d.size(), 700.0, 1.0);
  for (const double v : d) EXPECT_TRUE(std::isfinite(v));
  EXPECT_EQ(o + 8, gen.offset());  // only the two accepted calls consumed
  // lambdas for a distribution that does not read them; lambdas in grid mode.
  bulk_request r;
  r.kind = dist::u32;
  r.n = 10;
  r.lambdas = d.data();
  r.backend = backend_kind::cpu;
  expect_error(errc::invalid_argument, "lambdas", [&] { fill(r, u.data()); });
  grid_request g;
  g.kind = dist::poisson;
  g.threads = 1;
  g.per_thread = 1;
  g.lambdas = d.data();
  g.backend = backend_kind::cpu;
  expect_error(errc::invalid_argument, "lambdas", [&] { write_thread_streams(g, u.data()); });
  g.lambdas = nullptr;
  g.lambda = -2;
  expect_error(errc::invalid_argument, "lambda", [&] { write_thread_streams(g, u.data()); });
  g.kind = dist::log_normal;
  g.stddev = -2;
  expect_error(errc::invalid_argument, "stddev", [&] { write_thread_streams(g, f.data()); });
}

// ---- the variable-draw budget ----------------------------------------------------------------

TEST(VariableDraws, CursorReadsTheStreamAndNeverPastItsBudget) {
  for (std::uint64_t off : {std::uint64_t{0}, std::uint64_t{3}}) {
    detail::draw_cursor c(42, 7, off, 9);
    curandStatePhilox4_32_10_t s;
    curand_init(42, 7, off, &s);
    for (int i = 0; i < 9; ++i) ASSERT_EQ(curand(&s), c.next()) << i;
    EXPECT_FALSE(c.exhausted());
    EXPECT_EQ(0u, c.next());  // a filler, not draw 10
    EXPECT_TRUE(c.exhausted());
  }
}

TEST(VariableDraws, ABulkGroupOverItsBudgetIsExhaustedNeverAnOverlap) {
  // Knuth at lambda = 50 takes about 51 draws a value: a budget of 40 cannot hold a group.
  scoped_budget cap(40);
  auto gen = cpu_gen(1);
  std::vector<std::uint32_t> u(64);
  expect_error(errc::exhausted, "reserved draws", [&] { gen.poisson(u.data(), u.size(), 50.0); });
  // The normal regime takes 8 draws a group: fits.
  gen.poisson(u.data(), u.size(), 5000.0);
}

TEST(VariableDraws, AGridThreadOverItsBudgetIsExhausted) {
  scoped_budget cap(100);
  grid_request g;
  g.kind = dist::poisson;
  g.threads = 3;
  g.per_thread = 4;
  g.lambda = 60.0;  // about 61 draws a value: 4 values exceed 100
  g.backend = backend_kind::cpu;
  std::vector<std::uint32_t> u(12);
  expect_error(errc::exhausted, "subsequence 0", [&] { write_thread_streams(g, u.data()); });
}

TEST(VariableDraws, TheBudgetCapIsNeverReachedInTheRegimesAtItsWorst) {
  // The largest Knuth lambda: 4 values of about 65 draws each against 1024 a group.
  auto gen = cpu_gen(3);
  std::vector<std::uint32_t> u(1 << 16);
  gen.poisson(u.data(), u.size(), 63.99);
  std::uint64_t most = 0;
  for (std::uint64_t j = 0; j < u.size() / 4; ++j) {
    std::uint64_t draws = 0;
    for (int l = 0; l < 4; ++l) draws += u[4 * j + l] + 1;
    most = std::max(most, draws);
  }
  std::printf("most draws of a group at lambda 63.99: %llu of %llu\n",
              static_cast<unsigned long long>(most),
              static_cast<unsigned long long>(bulk_draws(dist::poisson)));
  EXPECT_LT(most, bulk_draws(dist::poisson) / 2);
}

}  // namespace
}  // namespace gpurand::test
