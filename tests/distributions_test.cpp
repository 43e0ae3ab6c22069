// Statistical tests of every distribution against its exact CDF from Boost.Math, at fixed seeds:
// Kolmogorov-Smirnov for continuous ones, chi-square for discrete ones. Each passes at
// alpha = 1e-3 (the sampled p-value must exceed it) and has a negative control that must fail
// with p < 1e-6: the same test pointed at a parameter off by 1 % (2 % for the log-normal
// stddev; or a biased coin), and
// cuRAND-style modulo-reduced integers at range 3 * 2^30.

#include "gpurand/detail/distributions.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/exponential.hpp>
#include <boost/math/distributions/lognormal.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/poisson.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <utility>
#include <vector>

#include "alias_table.hpp"
#include "backend/cpu/simd.hpp"
#include "gpurand/detail/alias.hpp"
#include "gpurand/detail/integers.hpp"
#include "gpurand/detail/portable_math.hpp"
#include "gpurand/discrete.hpp"
#include "gpurand/gpurand.hpp"
#include "gpurand/device.cuh"  // cuRAND's device functions on the host
#include "gpurand/gpurand.hpp"

namespace {

using namespace gpurand::detail;

constexpr double kAlpha = 1e-3;    // a correct sampler fails this test with probability 1e-3
constexpr double kControl = 1e-6;  // a negative control must be rejected at least this strongly

// Raw Philox draws in the bulk layout (seed, offset 0, subsequences 0..): the draws every bulk
// fill consumes.
std::vector<std::uint32_t> draws(std::uint64_t seed, std::size_t n) {
  std::vector<std::uint32_t> d((n + 3) / 4 * 4);
  philox_u32_groups(seed, 0, 0, d.size() / 4, d.data(), false);
  d.resize(n);
  return d;
}

// Two-sided one-sample Kolmogorov-Smirnov: p-value of the sample against `cdf` (asymptotic
// distribution with Stephens' small-sample correction).
double ks_p_value(std::vector<double> x, const std::function<double(double)>& cdf) {
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  double d = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double f = cdf(x[i]);
    d = std::max({d, f - i / n, (i + 1) / n - f});
  }
  const double sn = std::sqrt(n);
  const double lambda = (sn + 0.12 + 0.11 / sn) * d;
  double p = 0;
  for (int k = 1; k <= 100; ++k)
    p += 2 * ((k % 2) ? 1 : -1) * std::exp(-2.0 * k * k * lambda * lambda);
  return std::clamp(p, 0.0, 1.0);
}

// Chi-square p-value of observed counts against category probabilities (same length); the
// categories are merged left to right until each expects at least 10 counts.
double chi_square_p_value(const std::vector<double>& observed, const std::vector<double>& prob) {
  double total = 0;
  for (const double o : observed) total += o;
  double stat = 0, eo = 0, ee = 0;
  int bins = 0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    eo += observed[i];
    ee += prob[i] * total;
    const bool last = i + 1 == observed.size();
    if (ee >= 10 || last) {
      if (ee > 0) {
        stat += (eo - ee) * (eo - ee) / ee;
        ++bins;
      } else if (eo > 0) {
        return 0.0;  // counts where nothing is expected
      }
      eo = ee = 0;
    }
  }
  if (bins < 2) return 1.0;
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared(bins - 1), stat));
}

void expect_pass(double p, const char* what) {
  std::printf("%-60s p = %.3g\n", what, p);
  EXPECT_GT(p, kAlpha) << what;
}
void expect_reject(double p, const char* what) {
  std::printf("%-60s p = %.3g (negative control)\n", what, p);
  EXPECT_LT(p, kControl) << what;
}

// ---- continuous -------------------------------------------------------------------------------

TEST(Distributions, PortableNormalFollowsTheNormalCdf) {
  const auto d = draws(11, 1 << 21);
  std::vector<double> x;
  for (std::size_t i = 0; i + 1 < d.size(); i += 2) {
    const auto p = portable_box_muller_pair(d[i], d[i + 1]);
    x.push_back(p.x);
    x.push_back(p.y);
  }
  const boost::math::normal n01(0, 1), off(0, 1.01);
  expect_pass(ks_p_value(x, [&](double v) { return boost::math::cdf(n01, v); }),
              "portable normal vs N(0, 1), KS, n = 2^21");
  expect_reject(ks_p_value(x, [&](double v) { return boost::math::cdf(off, v); }),
                "portable normal vs N(0, 1.01)");
  std::vector<double> xd;
  for (std::size_t i = 0; i + 3 < d.size(); i += 4)
    for (const double v : {portable_box_muller_double(d[i], d[i + 1], d[i + 2], d[i + 3]).x,
                           portable_box_muller_double(d[i], d[i + 1], d[i + 2], d[i + 3]).y})
      xd.push_back(v);
  expect_pass(ks_p_value(xd, [&](double v) { return boost::math::cdf(n01, v); }),
              "portable normal-double vs N(0, 1), KS, n = 2^20");
  expect_reject(ks_p_value(xd, [&](double v) { return boost::math::cdf(off, v); }),
                "portable normal-double vs N(0, 1.01)");
}

// The fills under test run on the CPU backend: the bodies through the bulk layout.
gpurand::Generator cpu_gen(std::uint64_t seed) {
  gpurand::options o;
  o.seed = seed;
  o.backend = gpurand::backend_kind::cpu;
  return gpurand::Generator(o);
}

TEST(Distributions, ExponentialFillFollowsTheExponentialCdf) {
  const float lambda = 2.5f;
  std::vector<float> f(1 << 20);
  cpu_gen(12).exponential(f.data(), f.size(), lambda);
  const std::vector<double> x(f.begin(), f.end());
  const boost::math::exponential_distribution<double> e(lambda), off(lambda * 1.01);
  expect_pass(ks_p_value(x, [&](double v) { return boost::math::cdf(e, v); }),
              "exponential(2.5) vs Exp(2.5), KS, n = 2^20");
  expect_reject(ks_p_value(x, [&](double v) { return boost::math::cdf(off, v); }),
                "exponential(2.5) vs Exp(2.525)");
}

TEST(Distributions, CurandLogNormalFollowsTheLogNormalCdf) {
  // cuRAND's own curand_log_normal (per-thread streams), and gpurand's bulk fills (which equal
  // curand_log_normal4 / curand_log_normal2_double bit for bit: tests/lognormal_poisson_test).
  const float mean = 0.5f, stddev = 0.75f;
  std::vector<double> x;
  for (unsigned g = 0; g < 256; ++g) {
    curandStatePhilox4_32_10_t s;
    curand_init(13, g, 0, &s);
    for (int k = 0; k < 4096; ++k) x.push_back(curand_log_normal(&s, mean, stddev));
  }
  gpurand::options o;
  o.seed = 13;
  o.backend = gpurand::backend_kind::cpu;
  gpurand::Generator gen(o);
  std::vector<float> f(1 << 20);
  gen.log_normal(f.data(), f.size(), mean, stddev);
  std::vector<double> d(1 << 20);
  gen.log_normal(d.data(), d.size(), mean, stddev);
  const boost::math::lognormal ln(mean, stddev), off(mean, stddev * 1.02);
  const std::pair<const char*, std::vector<double>> samples[] = {
      {"curand_log_normal(0.5, 0.75)", x},
      {"Generator::log_normal(float, 0.5, 0.75)", std::vector<double>(f.begin(), f.end())},
      {"Generator::log_normal(double, 0.5, 0.75)", d}};
  for (const auto& [name, v] : samples) {
    char what[128];
    std::snprintf(what, sizeof what, "%s vs LogNormal, KS, n = 2^20", name);
    expect_pass(ks_p_value(v, [&](double t) { return boost::math::cdf(ln, t); }), what);
    std::snprintf(what, sizeof what, "%s vs LogNormal(0.5, 0.765)", name);
    expect_reject(ks_p_value(v, [&](double t) { return boost::math::cdf(off, t); }), what);
  }
}

// ---- discrete ---------------------------------------------------------------------------------

TEST(Distributions, IntegersAreUniformWhereModuloIsBiased) {
  // Range 3 * 2^30: x % range maps [0, 2^30) twice, so its first third is twice as likely.
  const std::uint32_t range = 3u << 30;
  const auto d = draws(14, 1 << 21);
  std::vector<double> ours(12, 0), modulo(12, 0);
  std::size_t used = 0;
  std::size_t i = 0;
  while (i < d.size() / 2) {
    auto next = [&] { return d[i++]; };
    ++ours[lemire<std::uint32_t>(next, range) >> 28];
    ++used;
  }
  for (std::size_t k = 0; k < used; ++k) ++modulo[(d[k] % range) >> 28];
  const std::vector<double> uniform12(12, 1.0 / 12);
  expect_pass(chi_square_p_value(ours, uniform12), "integer [0, 3*2^30) in 12 bins, chi-square");
  expect_reject(chi_square_p_value(modulo, uniform12), "curand() % (3*2^30) in 12 bins");

  // A small range and the wide (two-draw) form, every value its own category.
  std::vector<double> small(7, 0), wide(7, 0);
  for (std::size_t j = 0; j + 1 < d.size(); j += 2) {
    std::size_t k = j;
    auto next = [&] { return d[k++ % d.size()]; };
    ++small[lemire<std::uint32_t>(next, 7u)];
    std::size_t m = j;
    auto next2 = [&] { return d[m++ % d.size()]; };
    ++wide[lemire_wide<std::uint32_t>(next2, 7u)];
  }
  const std::vector<double> uniform7(7, 1.0 / 7);
  expect_pass(chi_square_p_value(small, uniform7), "integer [0, 7), chi-square");
  expect_pass(chi_square_p_value(wide, uniform7), "integer [0, 7) wide form, chi-square");
  std::vector<double> skew7(uniform7);
  skew7[0] *= 1.02;
  skew7[6] *= 0.98;
  expect_reject(chi_square_p_value(small, skew7), "integer [0, 7) vs a 2 % skew");
}

TEST(Distributions, IntegerFillsAreUniformWhereModuloIsBiased) {
  // The bulk fills (Generator::integers, uint32 and uint64) at range 3 * 2^30, 12 bins of 2^28,
  // offset by low = 7; the negative control: curand() % range of the same count is rejected.
  const std::uint64_t low = 7, range = std::uint64_t{3} << 30;
  auto gen = cpu_gen(17);
  std::vector<std::uint32_t> a(1 << 21);
  gen.integers(a.data(), a.size(), low, low + range);
  std::vector<std::uint64_t> b(1 << 20);
  gen.integers(b.data(), b.size(), low, low + range);
  std::vector<double> h32(12, 0), h64(12, 0), modulo(12, 0);
  for (std::uint32_t v : a) {
    ASSERT_GE(v, low);
    ASSERT_LT(v, low + range);
    ++h32[(v - low) >> 28];
  }
  for (std::uint64_t v : b) {
    ASSERT_GE(v, low);
    ASSERT_LT(v, low + range);
    ++h64[(v - low) >> 28];
  }
  const auto d = draws(18, a.size());
  for (std::uint32_t x : d) ++modulo[(x % range) >> 28];
  const std::vector<double> uniform12(12, 1.0 / 12);
  expect_pass(chi_square_p_value(h32, uniform12), "Generator::integers uint32 [7, 7+3*2^30)");
  expect_pass(chi_square_p_value(h64, uniform12), "Generator::integers uint64 [7, 7+3*2^30)");
  expect_reject(chi_square_p_value(modulo, uniform12), "curand() % (3*2^30), same count");
}

TEST(Distributions, BernoulliFillMatchesP) {
  const double p = 0.3;
  std::vector<std::uint32_t> a(1 << 20), b(1 << 20);
  auto gen = cpu_gen(15);
  gen.bernoulli(a.data(), a.size(), p);
  gen.bernoulli(b.data(), b.size(), p + 0.01);
  std::vector<double> fair(2, 0), coin(2, 0);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_LE(a[i], 1u);
    ++fair[a[i]];
    ++coin[b[i]];
  }
  expect_pass(chi_square_p_value(fair, {1 - p, p}), "bernoulli(0.3), chi-square");
  expect_reject(chi_square_p_value(coin, {1 - p, p}), "a biased coin (0.31) vs bernoulli(0.3)");
  EXPECT_EQ(bernoulli_threshold(0.0), 0u);
  EXPECT_EQ(bernoulli_threshold(1.0), 1ull << 32);
  EXPECT_EQ(bernoulli_from_u32(0xFFFFFFFFu, bernoulli_threshold(1.0)), 1u);
  EXPECT_EQ(bernoulli_from_u32(0u, bernoulli_threshold(0.0)), 0u);
}

TEST(Distributions, DiscreteFillFollowsTheWeights) {
  const std::vector<double> w = {1, 2, 3, 4, 0, 10, 0.5, 7};
  const gpurand::discrete_table table(w);
  double sum = 0;
  for (const double v : w) sum += v;
  std::vector<double> prob;
  for (const double v : w) prob.push_back(v / sum);
  std::vector<std::uint32_t> v(1 << 20);
  cpu_gen(16).discrete(v.data(), v.size(), table);
  std::vector<double> counts(w.size(), 0);
  for (const std::uint32_t c : v) {
    ASSERT_LT(c, w.size());
    ++counts[c];
  }
  EXPECT_EQ(counts[4], 0) << "a zero weight is never drawn";
  expect_pass(chi_square_p_value(counts, prob), "discrete over 8 weights, chi-square");
  std::vector<double> off(prob);
  off[5] *= 1.01;
  off[3] -= prob[5] * 0.01;
  expect_reject(chi_square_p_value(counts, off), "discrete vs weights with 1 % moved");
}

TEST(Distributions, DiscreteTableRejectsBadWeights) {
  const double neg[] = {1, -1};
  const double nan[] = {1, std::nan("")};
  const double zero[] = {0, 0};
  const double inf[] = {1, HUGE_VAL};
  EXPECT_THROW(build_alias_table(neg, 2), gpurand::Error);
  EXPECT_THROW(build_alias_table(nan, 2), gpurand::Error);
  EXPECT_THROW(build_alias_table(zero, 2), gpurand::Error);
  EXPECT_THROW(build_alias_table(inf, 2), gpurand::Error);
  EXPECT_THROW(build_alias_table(neg, 0), gpurand::Error);
  try {
    build_alias_table(neg, 2);
  } catch (const gpurand::Error& e) {
    EXPECT_NE(std::string(e.what()).find("weights[1]: -1"), std::string::npos) << e.what();
  }
  // Huge weights do not overflow the sum.
  const double big[] = {1e308, 1e308, 1e308};
  const auto t = build_alias_table(big, 3);
  for (std::uint32_t i = 0; i < 3; ++i) EXPECT_EQ(t[i].alias, i);
}

TEST(Distributions, CurandPoissonFollowsThePoissonPmfInEveryRegime) {
  // cuRAND's three regimes: lambda < 64 (Knuth), 64..4000 (rejection), > 4000 (a rounded
  // normal approximation: passes at this sample size, see README). Three sources per lambda:
  // curand_poisson on per-thread streams, gpurand's bulk fill (curand_poisson4 bit for bit),
  // and gpurand's per-element fill with every regime interleaved in each group.
  const double regimes[] = {3.5, 40.0, 100.0, 1500.0, 6000.0};
  constexpr std::size_t n = 1 << 16;
  gpurand::options o;
  o.seed = 17;
  o.backend = gpurand::backend_kind::cpu;
  gpurand::Generator gen(o);
  std::vector<double> mixed(5 * n);
  for (std::size_t i = 0; i < mixed.size(); ++i) mixed[i] = regimes[(i + i / 5) % 5];
  std::vector<std::uint32_t> mixed_out(mixed.size());
  gen.poisson(mixed_out.data(), mixed_out.size(), mixed.data());
  for (const double lambda : regimes) {
    std::vector<unsigned> curand_v, bulk_v(n), mixed_v;
    for (unsigned g = 0; g < 64; ++g) {
      curandStatePhilox4_32_10_t s;
      curand_init(17, g, 0, &s);
      for (int k = 0; k < 1024; ++k) curand_v.push_back(curand_poisson(&s, lambda));
    }
    gen.poisson(bulk_v.data(), n, lambda);
    for (std::size_t i = 0; i < mixed.size(); ++i)
      if (mixed[i] == lambda) mixed_v.push_back(mixed_out[i]);
    const std::pair<const char*, const std::vector<unsigned>*> sources[] = {
        {"curand_poisson", &curand_v}, {"Generator::poisson", &bulk_v},
        {"Generator::poisson(lambdas)", &mixed_v}};
    for (const auto& [name, values] : sources) {
      std::vector<double> counts;
      for (const unsigned v : *values) {
        if (v >= counts.size()) counts.resize(v + 1, 0);
        ++counts[v];
      }
      counts.resize(counts.size() + 1, 0);  // the upper tail
      auto probs = [&](double l) {
        const boost::math::poisson_distribution<double> pd(l);
        std::vector<double> pr(counts.size());
        for (std::size_t k = 0; k + 1 < pr.size(); ++k)
          pr[k] = boost::math::pdf(pd, static_cast<double>(k));
        pr.back() =
            boost::math::cdf(boost::math::complement(pd, static_cast<double>(pr.size() - 2)));
        return pr;
      };
      char what[128];
      std::snprintf(what, sizeof what, "%s(%g), chi-square, n = %zu", name, lambda,
                    values->size());
      expect_pass(chi_square_p_value(counts, probs(lambda)), what);
      std::snprintf(what, sizeof what, "%s(%g) vs Poisson(%g)", name, lambda, lambda * 1.01);
      if (lambda >= 40) expect_reject(chi_square_p_value(counts, probs(lambda * 1.01)), what);
    }
  }
}

}  // namespace
