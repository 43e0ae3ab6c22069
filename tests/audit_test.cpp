// Tests for the audit (include/gpurand/audit.hpp) and `gpurand audit`.
//
// Honest streams come from cuRAND's own device functions compiled for the
// host; every defect the audit exists for is planted and must be caught, with
// the right pair of threads and the right lag. Expected values are computed
// here from the planted defect, never copied from the audit's output.

#include "gpurand/audit.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "audit/statistics.hpp"
#include "cli/audit_cmd.hpp"
#include "gpurand/gpurand.hpp"
#include "backend/cpu/parallel.hpp"

// cuRAND's device functions compiled for the host (DESIGN.md, "Streams").
// clang-format off
#define QUALIFIERS static __forceinline__ __host__ __device__
#include <curand_kernel.h>
// clang-format on

namespace {

namespace ga = gpurand::audit;
using u64 = std::uint64_t;

// ---------------------------------------------------------------------------
// Honest streams: thread g of a grid is curand_init(seed, subsequence, offset).

void philox_u32(u64 seed, u64 sub, u64 off, u64 k, std::uint32_t* out) {
  curandStatePhilox4_32_10_t s;
  curand_init(seed, sub, off, &s);
  for (u64 i = 0; i < k; ++i) out[i] = curand(&s);
}
void philox_uniform(u64 seed, u64 sub, u64 off, u64 k, float* out) {
  curandStatePhilox4_32_10_t s;
  curand_init(seed, sub, off, &s);
  for (u64 i = 0; i < k; ++i) out[i] = curand_uniform(&s);
}
void philox_uniform_double(u64 seed, u64 sub, u64 off, u64 k, double* out) {
  curandStatePhilox4_32_10_t s;
  curand_init(seed, sub, off, &s);
  for (u64 i = 0; i < k; ++i) out[i] = curand_uniform_double(&s);
}
void philox_uniform2_double(u64 seed, u64 sub, u64 off, u64 k, double* out) {
  curandStatePhilox4_32_10_t s;
  curand_init(seed, sub, off, &s);
  for (u64 i = 0; i < k; i += 2) {
    const double2 v = curand_uniform2_double(&s);
    out[i] = v.x;
    if (i + 1 < k) out[i + 1] = v.y;
  }
}
void philox_normal(u64 seed, u64 sub, u64 off, u64 k, float* out) {
  curandStatePhilox4_32_10_t s;
  curand_init(seed, sub, off, &s);
  for (u64 i = 0; i < k; ++i) out[i] = curand_normal(&s);
}
void philox_normal_double(u64 seed, u64 sub, u64 off, u64 k, double* out) {
  curandStatePhilox4_32_10_t s;
  curand_init(seed, sub, off, &s);
  for (u64 i = 0; i < k; ++i) out[i] = curand_normal_double(&s);
}

// A grid of honest streams: thread g = curand_init(seed, g, 0).
template <class T>
std::vector<T> honest(u64 seed, u64 threads, u64 k, void (*fill)(u64, u64, u64, u64, T*)) {
  std::vector<T> v(threads * k);
  for (u64 g = 0; g < threads; ++g) fill(seed, g, 0, k, v.data() + g * k);
  return v;
}

template <class T>
ga::report audit(const std::vector<T>& v, u64 blocks, u64 tpb, u64 k, ga::dtype t,
                 ga::options opts = {}) {
  EXPECT_EQ(v.size(), blocks * tpb * k);
  return ga::run(v.data(), ga::layout{blocks, tpb, k, t}, opts);
}

void expect_ref(const ga::thread_ref& r, u64 global, u64 tpb) {
  EXPECT_EQ(r.global, global);
  EXPECT_EQ(r.block, global / tpb);
  EXPECT_EQ(r.thread, global % tpb);
}

u64 count_equal_pairs(std::vector<u64> bits) {
  std::sort(bits.begin(), bits.end());
  u64 pairs = 0;
  for (std::size_t i = 0; i < bits.size();) {
    std::size_t j = i;
    while (j < bits.size() && bits[j] == bits[i]) ++j;
    pairs += (j - i) * (j - i - 1) / 2;
    i = j;
  }
  return pairs;
}

// Value bits for counting equal values: numerically equal means equal, so
// -0 counts as +0 (Box-Muller gives a signed zero when u == 1).
template <class T>
std::vector<u64> bits_of(const std::vector<T>& v) {
  std::vector<u64> b(v.size(), 0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    T x = v[i];
    if constexpr (std::is_floating_point_v<T>) {
      if (x == T(0)) x = T(0);
    }
    std::memcpy(&b[i], &x, sizeof(T));
  }
  return b;
}

// ---------------------------------------------------------------------------
// Honest streams pass

TEST(Audit, PassesHonestU32) {
  const u64 blocks = 32, tpb = 64, k = 256;
  const auto v = honest<std::uint32_t>(7, blocks * tpb, k, philox_u32);
  const ga::report r = audit(v, blocks, tpb, k, ga::dtype::u32);
  EXPECT_TRUE(r.clean()) << ga::format(r);
  EXPECT_TRUE(r.stream_checks_run);
  EXPECT_EQ(r.window, 4u);
  EXPECT_EQ(r.values.model, ga::value_model::u32);
  EXPECT_TRUE(r.values.model_inferred);
  EXPECT_EQ(r.values.values, blocks * tpb * k);
}

TEST(Audit, PassesHonestUniformFloat) {
  const u64 blocks = 32, tpb = 64, k = 256;
  const auto v = honest<float>(8, blocks * tpb, k, philox_uniform);
  const ga::report r = audit(v, blocks, tpb, k, ga::dtype::f32);
  EXPECT_TRUE(r.clean()) << ga::format(r);
  EXPECT_EQ(r.values.model, ga::value_model::uniform_f32);
  // 2^19 floats of 24-bit resolution do collide: thousands of honest pairs.
  EXPECT_GT(r.values.equal_pairs, 1000u);
}

TEST(Audit, PassesHonestUniformDouble32And53Bit) {
  const u64 blocks = 16, tpb = 64, k = 256;
  const auto v32 = honest<double>(9, blocks * tpb, k, philox_uniform_double);
  const ga::report r32 = audit(v32, blocks, tpb, k, ga::dtype::f64);
  EXPECT_TRUE(r32.clean()) << ga::format(r32);
  EXPECT_EQ(r32.window, 2u);
  EXPECT_EQ(r32.values.model, ga::value_model::uniform_f64_32bit);

  const auto v53 = honest<double>(9, blocks * tpb, k, philox_uniform2_double);
  const ga::report r53 = audit(v53, blocks, tpb, k, ga::dtype::f64);
  EXPECT_TRUE(r53.clean()) << ga::format(r53);
  EXPECT_EQ(r53.values.model, ga::value_model::uniform_f64_53bit);
  EXPECT_EQ(r53.values.equal_pairs, 0u);
}

TEST(Audit, PassesHonestNormals) {
  const u64 blocks = 32, tpb = 64, k = 256;
  const auto f = honest<float>(10, blocks * tpb, k, philox_normal);
  const ga::report rf = audit(f, blocks, tpb, k, ga::dtype::f32);
  EXPECT_TRUE(rf.clean()) << ga::format(rf);
  EXPECT_EQ(rf.values.model, ga::value_model::normal_f32);
  EXPECT_NEAR(rf.values.mean, 0.0, 0.01);
  EXPECT_NEAR(rf.values.stddev, 1.0, 0.01);
  EXPECT_GT(rf.values.equal_pairs, 100u);  // float normals collide too

  const auto d = honest<double>(10, blocks * tpb, k, philox_normal_double);
  const ga::report rd = audit(d, blocks, tpb, k, ga::dtype::f64);
  EXPECT_TRUE(rd.clean()) << ga::format(rd);
  EXPECT_EQ(rd.values.model, ga::value_model::normal_f64);
}

// Generator::normal with a mean and stddev other than (0, 1): scaling by a
// stddev that is not a power of two merges float grid points, so the pair
// count is well above the smooth-density expectation (normal(0, 3), 2^20
// floats: 9322 pairs against 7528 expected, p = 5e-88, before the model
// followed the rounding). Honest output must pass, float and double, at
// several seeds, with the model inferred or named.
TEST(Audit, PassesHonestScaledNormalsFromGenerator) {
  struct shape {
    double mean, stddev;
  };
  const u64 n = u64{1} << 20, tpb = 64, k = 1024, blocks = n / (tpb * k);
  for (const shape sh : {shape{0, 3}, shape{5, 0.1}, shape{-2, 7}}) {
    for (u64 seed : {1u, 2u, 3u}) {
      gpurand::options go;
      go.seed = seed;
      go.backend = gpurand::backend_kind::cpu;
      gpurand::Generator gen(go);
      std::vector<float> f(n);
      gen.normal(f.data(), n, static_cast<float>(sh.mean), static_cast<float>(sh.stddev));
      const ga::report rf = audit(f, blocks, tpb, k, ga::dtype::f32);
      EXPECT_EQ(rf.values.model, ga::value_model::normal_f32);
      EXPECT_FALSE(rf.values.flagged)
          << "normal(" << sh.mean << ", " << sh.stddev << ") seed " << seed << "\n"
          << ga::format(rf);
      EXPECT_TRUE(rf.clean()) << ga::format(rf);
      EXPECT_EQ(rf.values.equal_pairs, count_equal_pairs(bits_of(f)));
      // Within 5 standard deviations of the (overdispersed) count.
      EXPECT_NEAR(static_cast<double>(rf.values.equal_pairs), rf.values.expected,
                  5 * std::sqrt(rf.values.variance))
          << ga::format(rf);
      EXPECT_EQ(rf.values.mean, sh.mean);
      EXPECT_EQ(rf.values.stddev, sh.stddev);
      if (seed == 1) {
        ga::options named;
        named.model = ga::value_model::normal_f32;
        EXPECT_TRUE(audit(f, blocks, tpb, k, ga::dtype::f32, named).clean());
      }

      std::vector<double> d(n / 8);
      gen.normal(d.data(), d.size(), sh.mean, sh.stddev);
      const ga::report rd = audit(d, blocks / 8, tpb, k, ga::dtype::f64);
      EXPECT_EQ(rd.values.model, ga::value_model::normal_f64);
      EXPECT_TRUE(rd.clean()) << ga::format(rd);
    }
  }
}

// The scaled normal model stays finite and quick for any positive scale and
// any shift, including scales whose binades reach under- and overflow.
TEST(Audit, ScaledNormalModelHandlesExtremeParameters) {
  struct shape {
    double mean, stddev;
  };
  for (const ga::value_model m : {ga::value_model::normal_f32, ga::value_model::normal_f64}) {
    const double q1 = ga::collision_probabilities(m, 0, 1).q2;
    for (const shape sh : {shape{5, 1e-30}, shape{0, 1e30}, shape{-1e20, 3}, shape{1e-30, 1e-35},
                           shape{0, 0.5}, shape{7, 1}}) {
      const ga::collision_moments q = ga::collision_probabilities(m, sh.mean, sh.stddev);
      EXPECT_TRUE(std::isfinite(q.q2) && q.q2 > 0) << sh.mean << " " << sh.stddev;
      EXPECT_TRUE(std::isfinite(q.q3) && q.q3 > 0 && q.q3 <= q.q2) << sh.mean << " " << sh.stddev;
      EXPECT_LE(q.q2, 1.0 + 1e-6);  // 1: a single value (numerical integration)
    }
    // Scaling by a power of two maps the grid onto itself: nothing merges.
    EXPECT_NEAR(ga::collision_probabilities(m, 0, 0.5).q2 / q1, 1.0, 1e-6);
    // A shift far larger than the spread puts every value on a coarse grid:
    // the pair probability is that of the smooth density there, much larger.
    EXPECT_GT(ga::collision_probabilities(m, 7, 1).q2, q1);
  }
}

// MRG32k3a's curand_uniform_double is x * MRG32K3A_NORM for a 32-bit-ish
// integer x: about 2^32 values, not 2^53 (22 pairs against 2.3e-5 expected).
TEST(Audit, PassesHonestMrg32k3aUniformDouble) {
  const u64 blocks = 16, tpb = 64, k = 2048, threads = blocks * tpb;
  for (u64 seed : {4u, 5u, 6u}) {
    gpurand::grid_request req;
    req.eng = gpurand::engine::mrg32k3a;
    req.kind = gpurand::dist::uniform_double;
    req.seed = seed;
    req.threads = threads;
    req.per_thread = k;
    req.backend = gpurand::backend_kind::cpu;
    std::vector<double> v(threads * k);
    gpurand::write_thread_streams(req, v.data());
    const ga::report r = audit(v, blocks, tpb, k, ga::dtype::f64);
    EXPECT_EQ(r.values.model, ga::value_model::uniform_f64_mrg32k3a);
    EXPECT_TRUE(r.clean()) << ga::format(r);
    const double nd = static_cast<double>(v.size());
    EXPECT_NEAR(r.values.expected, nd * (nd - 1) / 2 / 4294967087.0, 1e-9 * r.values.expected);
    // 2^21 values: about 512 pairs, so some are there to be judged.
    EXPECT_GT(r.values.equal_pairs, 300u);
    // The 53-bit model would have flagged them.
    ga::options o53;
    o53.model = ga::value_model::uniform_f64_53bit;
    EXPECT_TRUE(audit(v, blocks, tpb, k, ga::dtype::f64, o53).values.flagged);
  }
  EXPECT_EQ(ga::parse_value_model("uniform_f64_mrg32k3a"), ga::value_model::uniform_f64_mrg32k3a);
}

// ---------------------------------------------------------------------------
// Negative controls: each is caught every time, naming the right threads.

TEST(Audit, FlagsSharedState) {
  const u64 blocks = 8, tpb = 32, k = 64, threads = blocks * tpb;
  for (u64 seed = 1; seed <= 5; ++seed) {
    // Every thread copies one generator state: all streams are thread 0's.
    std::vector<std::uint32_t> u(threads * k);
    std::vector<float> f(threads * k);
    std::vector<double> d(threads * k);
    for (u64 g = 0; g < threads; ++g) {
      philox_u32(seed, 0, 0, k, u.data() + g * k);
      philox_uniform(seed, 0, 0, k, f.data() + g * k);
      philox_uniform_double(seed, 0, 0, k, d.data() + g * k);
    }
    for (const ga::report& r :
         {audit(u, blocks, tpb, k, ga::dtype::u32), audit(f, blocks, tpb, k, ga::dtype::f32),
          audit(d, blocks, tpb, k, ga::dtype::f64)}) {
      EXPECT_FALSE(r.clean());
      EXPECT_EQ(r.duplicate_threads, threads - 1);
      ASSERT_EQ(r.duplicates.size(), 20u);  // the default cap
      for (std::size_t i = 0; i < r.duplicates.size(); ++i) {
        const ga::stream_match& m = r.duplicates[i];
        expect_ref(m.a, 0, tpb);
        expect_ref(m.b, i + 1, tpb);
        EXPECT_EQ(m.lag, 0u);
        EXPECT_EQ(m.length, k);
      }
      // A duplicate is audited once, so it adds no overlaps on top.
      EXPECT_EQ(r.overlap_runs, 0u);
      EXPECT_TRUE(r.values.flagged);
    }
  }
}

TEST(Audit, FlagsSeedsFromSmallIdSet) {
  const u64 blocks = 4, tpb = 64, k = 128, threads = blocks * tpb;
  for (u64 base = 0; base < 5; ++base) {
    // seed = base + g % 16 with subsequence 0: only 16 distinct streams.
    std::vector<std::uint32_t> v(threads * k);
    for (u64 g = 0; g < threads; ++g) philox_u32(base + g % 16, 0, 0, k, v.data() + g * k);
    const ga::report r = audit(v, blocks, tpb, k, ga::dtype::u32);
    EXPECT_FALSE(r.clean());
    EXPECT_EQ(r.duplicate_threads, threads - 16);
    ASSERT_FALSE(r.duplicates.empty());
    for (const ga::stream_match& m : r.duplicates) {
      EXPECT_LT(m.a.global, 16u);
      EXPECT_EQ(m.b.global % 16, m.a.global);
      expect_ref(m.b, m.b.global, tpb);
      EXPECT_EQ(m.lag, 0u);
    }
    // Listed in order: thread 0's copies first, the first one being thread 16.
    expect_ref(r.duplicates[0].a, 0, tpb);
    expect_ref(r.duplicates[0].b, 16, tpb);
    EXPECT_EQ(r.overlap_runs, 0u);
    const std::string text = ga::format(r);
    EXPECT_NE(text.find("(block 0, thread 16) == (block 0, thread 0)"), std::string::npos) << text;
  }
}

TEST(Audit, FlagsReusedOffset) {
  struct plant {
    u64 a, b, lag;
  };
  const u64 blocks = 16, tpb = 64, k = 128, threads = blocks * tpb;
  // Within a block, across blocks, lags inside and across Philox blocks of 4.
  for (const plant p : {plant{5, 9, 1}, plant{3, 700, 7}, plant{1000, 2, 100}, plant{64, 65, 4}}) {
    for (u64 seed : {11u, 12u, 13u}) {
      auto v = honest<std::uint32_t>(seed, threads, k, philox_u32);
      // Thread b restarts thread a's subsequence at offset lag.
      philox_u32(seed, p.a, p.lag, k, v.data() + p.b * k);
      const ga::report r = audit(v, blocks, tpb, k, ga::dtype::u32);
      EXPECT_FALSE(r.clean());
      EXPECT_EQ(r.duplicate_threads, 0u);
      ASSERT_EQ(r.overlap_runs, 1u) << ga::format(r);
      ASSERT_EQ(r.overlaps.size(), 1u);
      const ga::stream_match& m = r.overlaps[0];
      expect_ref(m.a, p.a, tpb);
      expect_ref(m.b, p.b, tpb);
      EXPECT_EQ(m.lag, p.lag);
      EXPECT_EQ(m.a_pos, p.lag);
      EXPECT_EQ(m.b_pos, 0u);
      EXPECT_EQ(m.length, k - p.lag);
      EXPECT_EQ(r.matched_window_pairs, k - p.lag - r.window + 1);
      EXPECT_TRUE(r.overlap_list_complete);
    }
  }
  // The same defect in uniform floats and in doubles (window of 2).
  auto f = honest<float>(14, threads, k, philox_uniform);
  philox_uniform(14, 30, 9, k, f.data() + 600 * k);
  const ga::report rf = audit(f, blocks, tpb, k, ga::dtype::f32);
  ASSERT_EQ(rf.overlaps.size(), 1u) << ga::format(rf);
  expect_ref(rf.overlaps[0].a, 30, tpb);
  expect_ref(rf.overlaps[0].b, 600, tpb);
  EXPECT_EQ(rf.overlaps[0].lag, 9u);
  auto d = honest<double>(15, threads, k, philox_uniform2_double);
  philox_uniform2_double(15, 800, 8, k, d.data() + 801 * k);  // 8 draws = 4 doubles
  const ga::report rd = audit(d, blocks, tpb, k, ga::dtype::f64);
  ASSERT_EQ(rd.overlaps.size(), 1u) << ga::format(rd);
  expect_ref(rd.overlaps[0].a, 800, tpb);
  expect_ref(rd.overlaps[0].b, 801, tpb);
  EXPECT_EQ(rd.overlaps[0].lag, 4u);
  EXPECT_EQ(rd.overlaps[0].length, k - 4);
}

// Normal streams restarted a few raw draws later: an odd lag pairs the draws
// differently, so no value is shared and only the draws behind the values
// (recovered from the Box-Muller pairs) can show the overlap. Every lag is
// caught, on Philox and XORWOW, with the right threads and the lag in raw
// draws; honest grids stay clean at every seed.
template <class T, class State>
void normal_stream(u64 seed, u64 sub, u64 off, u64 k, T* out) {
  State s;
  curand_init(seed, sub, off, &s);
  for (u64 i = 0; i < k; ++i) {
    if constexpr (std::is_same_v<T, float>)
      out[i] = curand_normal(&s);
    else
      out[i] = curand_normal_double(&s);
  }
}

template <class T, class State>
void check_draw_overlaps(ga::dtype type, std::initializer_list<u64> lags) {
  const u64 blocks = 8, tpb = 64, k = 128, threads = blocks * tpb;
  auto fill = normal_stream<T, State>;
  for (u64 seed : {101u, 102u, 103u}) {
    auto v = honest<T>(seed, threads, k, fill);
    const ga::report clean = audit(v, blocks, tpb, k, type);
    EXPECT_TRUE(clean.draw_checks_run);
    EXPECT_TRUE(clean.clean()) << ga::format(clean);
    EXPECT_EQ(clean.draw_matched_window_pairs, 0u);
    for (const u64 lag : lags) {
      auto w = v;
      const u64 a = (seed * 37 + lag * 11) % threads, b = (a + 1 + lag * 53) % threads;
      fill(seed, a, lag, k, w.data() + b * k);  // thread b reuses a's subsequence, `lag` draws on
      const ga::report r = audit(w, blocks, tpb, k, type);
      EXPECT_FALSE(r.clean()) << "lag " << lag;
      EXPECT_EQ(r.duplicate_threads, 0u);
      ASSERT_GT(r.draw_overlap_runs, 0u) << "lag " << lag << "\n" << ga::format(r);
      ASSERT_FALSE(r.draw_overlaps.empty());
      const ga::stream_match& m = r.draw_overlaps[0];
      expect_ref(m.a, a, tpb);
      expect_ref(m.b, b, tpb);
      EXPECT_EQ(m.lag, lag);
      EXPECT_EQ(m.a_pos, m.b_pos + lag);
      // The run covers most of the shared draws (a draw whose recovered bits
      // straddle a rounding edge can cut it).
      u64 covered = 0;
      for (const ga::stream_match& x : r.draw_overlaps) {
        EXPECT_EQ(x.a.global, a);
        EXPECT_EQ(x.b.global, b);
        EXPECT_EQ(x.lag, lag);
        covered += x.length;
      }
      const u64 draws = k * (sizeof(T) / 4);
      EXPECT_GT(covered, (draws - lag) / 2) << ga::format(r);
      EXPECT_NE(ga::format(r).find("lag " + std::to_string(lag) + " raw draw"), std::string::npos);
    }
  }
}

TEST(Audit, FlagsNormalStreamsShiftedByRawDraws) {
  check_draw_overlaps<float, curandStatePhilox4_32_10_t>(ga::dtype::f32, {1, 2, 3, 5, 7});
  check_draw_overlaps<float, curandStateXORWOW_t>(ga::dtype::f32, {1, 3});
}

TEST(Audit, FlagsNormalDoubleStreamsShiftedByRawDraws) {
  check_draw_overlaps<double, curandStatePhilox4_32_10_t>(ga::dtype::f64, {1, 2, 3, 4, 5, 7});
  check_draw_overlaps<double, curandStateXORWOW_t>(ga::dtype::f64, {1, 2, 3});
}

// Pairs split at the other phase: thread b's stream starts at the second
// value of a pair (an odd cut of one long stream), and scaled values from the
// Generator's bulk layout are judged after undoing mean and stddev.
TEST(Audit, FlagsNormalOverlapAcrossPairPhases) {
  const u64 blocks = 4, tpb = 64, k = 96, threads = blocks * tpb;
  auto v = honest<float>(7, threads, k, philox_normal);
  std::vector<float> longer(k + 2);
  philox_normal(7, 40, 3, k + 2, longer.data());  // a's subsequence, 3 draws on ...
  std::copy(longer.begin() + 1, longer.begin() + 1 + k, v.begin() + 200 * k);  // ... cut at value 1
  const ga::report r = audit(v, blocks, tpb, k, ga::dtype::f32);
  ASSERT_FALSE(r.draw_overlaps.empty()) << ga::format(r);
  expect_ref(r.draw_overlaps[0].a, 40, tpb);
  expect_ref(r.draw_overlaps[0].b, 200, tpb);
  // Positions count one draw per float value. b's value 1 starts the pair of
  // a's draws 5 and 6 (the pair after draws 3, 4), so b's position j is a's
  // position j + 4; pairing b from value 0 would have matched nothing.
  EXPECT_EQ(r.draw_overlaps[0].lag, 4u);
  EXPECT_EQ(r.draw_overlaps[0].b_pos % 2, 1u);

  for (u64 seed : {1u, 2u}) {
    gpurand::options go;
    go.seed = seed;
    go.backend = gpurand::backend_kind::cpu;
    gpurand::Generator gen(go);
    std::vector<float> f(threads * k);
    gen.normal(f.data(), f.size(), 5.0f, 0.1f);
    EXPECT_TRUE(audit(f, blocks, tpb, k, ga::dtype::f32).clean());
  }
}

TEST(Audit, FlagsOneDuplicatePairAmongThousands) {
  const u64 blocks = 64, tpb = 64, k = 64, threads = blocks * tpb;
  struct plant {
    u64 from, to;
  };
  // (block 5, thread 3) -> (block 5, thread 60): within a block;
  // (block 3, thread 17) -> (block 50, thread 9): across blocks.
  for (const plant p : {plant{5 * 64 + 3, 5 * 64 + 60}, plant{3 * 64 + 17, 50 * 64 + 9}}) {
    for (u64 seed : {21u, 22u, 23u}) {
      auto v = honest<std::uint32_t>(seed, threads, k, philox_u32);
      std::copy(v.begin() + p.from * k, v.begin() + (p.from + 1) * k, v.begin() + p.to * k);
      const ga::report r = audit(v, blocks, tpb, k, ga::dtype::u32);
      EXPECT_FALSE(r.clean());
      EXPECT_EQ(r.duplicate_threads, 1u);
      ASSERT_EQ(r.duplicates.size(), 1u);
      expect_ref(r.duplicates[0].a, p.from, tpb);
      expect_ref(r.duplicates[0].b, p.to, tpb);
      EXPECT_EQ(r.duplicates[0].length, k);
      EXPECT_EQ(r.overlap_runs, 0u);
      const std::string text = ga::format(r);
      const std::string named =
          "(block " + std::to_string(p.to / tpb) + ", thread " + std::to_string(p.to % tpb) + ")";
      EXPECT_NE(text.find(named), std::string::npos) << text;
    }
  }
}

TEST(Audit, FlagsPartialOverlapAtLagZeroAsOverlapNotDuplicate) {
  const u64 blocks = 8, tpb = 32, k = 100, threads = blocks * tpb;
  auto v = honest<std::uint32_t>(31, threads, k, philox_u32);
  // Thread 200 shares its first 40 values with thread 17, then diverges.
  std::copy(v.begin() + 17 * k, v.begin() + 17 * k + 40, v.begin() + 200 * k);
  const ga::report r = audit(v, blocks, tpb, k, ga::dtype::u32);
  EXPECT_EQ(r.duplicate_threads, 0u);
  ASSERT_EQ(r.overlaps.size(), 1u) << ga::format(r);
  expect_ref(r.overlaps[0].a, 17, tpb);
  expect_ref(r.overlaps[0].b, 200, tpb);
  EXPECT_EQ(r.overlaps[0].lag, 0u);
  EXPECT_EQ(r.overlaps[0].length, 40u);
}

TEST(Audit, FlagsThreadThatRepeatsItself) {
  const u64 blocks = 4, tpb = 32, k = 256, threads = blocks * tpb;
  auto v = honest<std::uint32_t>(41, threads, k, philox_u32);
  // Thread 77 cycles with period 8 (a tiny-period generator).
  for (u64 i = 8; i < k; ++i) v[77 * k + i] = v[77 * k + i - 8];
  ga::report r = audit(v, blocks, tpb, k, ga::dtype::u32);
  EXPECT_FALSE(r.clean());
  ASSERT_FALSE(r.overlaps.empty()) << ga::format(r);
  expect_ref(r.overlaps[0].a, 77, tpb);
  expect_ref(r.overlaps[0].b, 77, tpb);
  EXPECT_EQ(r.overlaps[0].lag, 8u);
  EXPECT_EQ(r.overlaps[0].length, k - 8);

  // A stuck thread (one value repeated): a window class of 253 members, more
  // than are paired exhaustively; still caught.
  for (u64 i = 0; i < k; ++i) v[99 * k + i] = 12345;
  ga::options all;
  all.max_listed = 100;  // thread 77's 31 runs sort first
  r = audit(v, blocks, tpb, k, ga::dtype::u32, all);

  EXPECT_FALSE(r.clean());
  EXPECT_FALSE(r.overlap_list_complete);
  // Exact counts: thread 77 (period 8) has 31 runs, one per lag 8, 16, ...;
  // the stuck thread one per lag 1..252 (each diagonal of a constant stream is
  // a single maximal run). Equal window pairs: C(253, 2) for the stuck thread
  // plus, for thread 77, 8 classes of 32 or 31 windows.
  const u64 windows = k - r.window + 1;
  EXPECT_EQ(r.overlap_runs, 31u + (windows - 1));
  u64 periodic_pairs = 0;
  for (u64 residue = 0; residue < 8; ++residue) {
    const u64 m = (windows - residue + 7) / 8;  // windows p < 253 with p % 8 == residue
    periodic_pairs += m * (m - 1) / 2;
  }
  EXPECT_EQ(r.matched_window_pairs, windows * (windows - 1) / 2 + periodic_pairs);
  bool stuck_named = false;
  for (const auto& m : r.overlaps) stuck_named |= m.a.global == 99 && m.b.global == 99;
  EXPECT_TRUE(stuck_named) << ga::format(r);
}

TEST(Audit, XorwowConsecutiveSeedsAndAPlantedShift) {
  const u64 blocks = 8, tpb = 64, k = 256, threads = blocks * tpb;
  // seed = base + id on XORWOW, subsequence 0. XORWOW's curand_init mixes the
  // seed into the state through multiplications, so neighbouring seeds give
  // correlated (PractRand fails them at 1 MB) but not shifted streams: the
  // audit, which looks for exact repeats, rightly sees no overlap here.
  std::vector<std::uint32_t> v(threads * k);
  auto xorwow = [&](u64 seed, u64 skip, std::uint32_t* out) {
    curandStateXORWOW_t s;
    curand_init(seed, 0, 0, &s);
    for (u64 i = 0; i < skip; ++i) curand(&s);
    for (u64 i = 0; i < k; ++i) out[i] = curand(&s);
  };
  for (u64 g = 0; g < threads; ++g) xorwow(1000 + g, 0, v.data() + g * k);
  const ga::report plain = audit(v, blocks, tpb, k, ga::dtype::u32);
  EXPECT_EQ(plain.duplicate_threads, 0u);
  EXPECT_EQ(plain.overlap_runs, 0u) << ga::format(plain);

  // So plant the structural version: thread 300 runs thread 12's XORWOW
  // stream 33 draws ahead.
  xorwow(1000 + 12, 33, v.data() + 300 * k);
  const ga::report r = audit(v, blocks, tpb, k, ga::dtype::u32);
  EXPECT_FALSE(r.clean());
  ASSERT_EQ(r.overlaps.size(), 1u) << ga::format(r);
  expect_ref(r.overlaps[0].a, 12, tpb);
  expect_ref(r.overlaps[0].b, 300, tpb);
  EXPECT_EQ(r.overlaps[0].lag, 33u);
  EXPECT_EQ(r.overlaps[0].length, k - 33);
}

TEST(Audit, FlagsExcessValueDuplicatesFromASmallValueSet) {
  const u64 blocks = 16, tpb = 64, k = 64, threads = blocks * tpb;
  for (u64 seed : {51u, 52u, 53u}) {
    auto v = honest<std::uint32_t>(seed, threads, k, philox_u32);
    for (auto& x : v) x &= 0xFFFFFu;  // 2^20 possible values instead of 2^32
    const ga::report r = audit(v, blocks, tpb, k, ga::dtype::u32);
    EXPECT_FALSE(r.clean());
    // Streams are still distinct (80-bit windows): only the value test fires.
    EXPECT_EQ(r.duplicate_threads, 0u);
    EXPECT_EQ(r.overlap_runs, 0u);
    EXPECT_TRUE(r.values.flagged);
    EXPECT_LT(r.values.p_value, r.values.alpha);
    const double n = static_cast<double>(v.size());
    EXPECT_NEAR(r.values.expected, n * (n - 1) / std::ldexp(1.0, 33), 1e-9);
    // About n^2 / 2^21 pairs, ~4000 times the 2^32 expectation.
    EXPECT_GT(static_cast<double>(r.values.equal_pairs), 1000 * r.values.expected);
    ASSERT_FALSE(r.values.examples.empty());
    for (const ga::value_pair& p : r.values.examples) {
      const u64 ia = p.a.global * k + p.a_pos, ib = p.b.global * k + p.b_pos;
      EXPECT_NE(ia, ib);
      EXPECT_EQ(v[ia], v[ib]);
      EXPECT_EQ(v[ia], p.bits);
    }
  }
}

// ---------------------------------------------------------------------------
// The birthday expectation

TEST(Audit, U32ExpectationIsTheBirthdayFormula) {
  for (u64 n : {u64{0}, u64{1}, u64{2}, u64{1000}, u64{1} << 26, u64{1} << 32}) {
    const double nd = static_cast<double>(n);
    EXPECT_DOUBLE_EQ(ga::expected_equal_pairs(ga::value_model::u32, n),
                     nd * (nd - 1) / 8589934592.0);
  }
  EXPECT_EQ(ga::collision_probabilities(ga::value_model::u32).q2, std::ldexp(1.0, -32));
  EXPECT_EQ(ga::collision_probabilities(ga::value_model::uniform_f64_32bit).q2,
            std::ldexp(1.0, -32));
}

TEST(Audit, UniformFloatExpectationFollowsTheFloatGrid) {
  const double q32 = ga::collision_probabilities(ga::value_model::u32).q2;
  const double qf = ga::collision_probabilities(ga::value_model::uniform_f32).q2;
  // Independent first-order derivation: [2^-j, 2^-j+1) for j = 1..8 holds 2^23
  // floats each hit with probability 2^-(23+j); the rest adds < 2^-39.
  double approx = 0;
  for (int j = 1; j <= 8; ++j) approx += std::ldexp(1.0, 23) * std::ldexp(1.0, -2 * (23 + j));
  EXPECT_NEAR(qf / approx, 1.0, 1e-3);
  EXPECT_GT(qf, 100 * q32);  // "much larger" than the 32-bit expectation
  // 53-bit doubles: below 0.5 every value is distinct, above pairs merge.
  EXPECT_NEAR(ga::collision_probabilities(ga::value_model::uniform_f64_53bit).q2 /
                  (1.5 * std::ldexp(1.0, -53)),
              1.0, 1e-12);
}

// Monte Carlo: the audit's expectation against an honest sample of 2^22 values.
// The tolerance is 5 standard deviations of the pair count, with the variance
// taken as 1.5 E (float grids are overdispersed by up to ~1.45 at this n).
template <class T>
void check_monte_carlo(void (*fill)(u64, u64, u64, u64, T*), ga::dtype type,
                       ga::value_model model) {
  const u64 threads = 1024, k = 4096;
  const auto v = honest<T>(2024, threads, k, fill);
  const ga::report r = audit(v, 16, 64, k, type);
  EXPECT_EQ(r.values.model, model);
  const u64 counted = count_equal_pairs(bits_of(v));
  EXPECT_EQ(r.values.equal_pairs, counted);
  const double e = r.values.expected;
  EXPECT_NEAR(static_cast<double>(counted), e, 5 * std::sqrt(1.5 * e))
      << "model " << ga::to_string(model);
  EXPECT_TRUE(r.clean()) << ga::format(r);
}

TEST(Audit, ExpectationMatchesMonteCarloU32) {
  check_monte_carlo<std::uint32_t>(philox_u32, ga::dtype::u32, ga::value_model::u32);
}
TEST(Audit, ExpectationMatchesMonteCarloUniformFloat) {
  check_monte_carlo<float>(philox_uniform, ga::dtype::f32, ga::value_model::uniform_f32);
}
TEST(Audit, ExpectationMatchesMonteCarloUniformDouble32Bit) {
  check_monte_carlo<double>(philox_uniform_double, ga::dtype::f64,
                            ga::value_model::uniform_f64_32bit);
}
TEST(Audit, ExpectationMatchesMonteCarloNormalFloat) {
  check_monte_carlo<float>(philox_normal, ga::dtype::f32, ga::value_model::normal_f32);
}

// False positives over many seeds. With a calibrated (or conservative,
// discrete) p-value, P(p < a) <= a. Each model below has E between 2 and 6,
// so the p-values really vary. 200 seeds per model:
//  - p < 1e-4 at most once per model: if calibrated, P(>= 2 of 200) ~ 2e-4;
//  - p < 0.01 at most 8 times: mean <= 2, P(>= 9) ~ 1e-4;
//  - the mean p-value lies in [0.45, 0.72]: for a discrete Poisson upper tail
//    it is 1/2 + sum P(X = x)^2 / 2, about 0.56-0.60 here, with a standard
//    error of 0.02. A wrong expectation (say 2x off) drags it far outside.
// The check can fail: by chance (probabilities above), or when the model's
// expectation is wrong, which is what it is there to catch.
TEST(Audit, HonestFalsePositiveRateStaysBelowAlpha) {
  struct model_case {
    const char* name;
    std::vector<double> p;
  };
  model_case cases[3] = {{"u32", {}}, {"uniform_f32", {}}, {"normal_f32", {}}};
  for (u64 seed = 1; seed <= 200; ++seed) {
    // u32: n = 2^17, E = 2.0
    auto u = honest<std::uint32_t>(seed, 1024, 128, philox_u32);
    cases[0].p.push_back(audit(u, 16, 64, 128, ga::dtype::u32).values.p_value);
    // uniform float: n = 2^14, E ~ 5.3
    auto f = honest<float>(seed, 512, 32, philox_uniform);
    cases[1].p.push_back(audit(f, 8, 64, 32, ga::dtype::f32).values.p_value);
    // normal float: n = 2^14
    auto z = honest<float>(seed, 512, 32, philox_normal);
    const ga::report rz = audit(z, 8, 64, 32, ga::dtype::f32);
    EXPECT_GT(rz.values.expected, 1.0);
    cases[2].p.push_back(rz.values.p_value);
  }
  for (const model_case& c : cases) {
    int below_1e4 = 0, below_1e2 = 0;
    double sum = 0;
    for (double p : c.p) {
      below_1e4 += p < 1e-4;
      below_1e2 += p < 1e-2;
      sum += p;
    }
    EXPECT_LE(below_1e4, 1) << c.name;
    EXPECT_LE(below_1e2, 8) << c.name;
    const double mean = sum / static_cast<double>(c.p.size());
    EXPECT_GE(mean, 0.45) << c.name;
    EXPECT_LE(mean, 0.72) << c.name;
  }
}

TEST(Audit, PoissonTailMatchesDirectSum) {
  for (double e : {0.5, 2.0, 7.5, 40.0}) {
    for (int k : {1, 2, 5, 10, 30, 80}) {
      double below = 0, term = std::exp(-e);
      for (int x = 0; x < k; ++x) {
        below += term;
        term *= e / (x + 1);
      }
      const double direct = 1.0 - below;
      const double tail = ga::poisson_upper_tail(e, k);
      if (direct > 1e-6)
        EXPECT_NEAR(tail / direct, 1.0, 1e-8) << "E " << e << " k " << k;
      else
        EXPECT_LT(tail, 1e-5);
    }
  }
  EXPECT_EQ(ga::poisson_upper_tail(3.0, 0), 1.0);
  // Overdispersion can only make a count less surprising.
  EXPECT_GT(ga::poisson_upper_tail(100.0, 140.0, 2.0), ga::poisson_upper_tail(100.0, 140.0));
}

// ---------------------------------------------------------------------------
// Models and argument checks

TEST(Audit, InfersAndChecksValueModels) {
  const std::vector<float> uniform = {0.25f, 1.0f, 0.5f, 0.75f};
  const std::vector<float> normal = {0.25f, -1.0f, 0.5f, 2.75f};
  EXPECT_EQ(ga::infer_model(uniform.data(), ga::dtype::f32, 4), ga::value_model::uniform_f32);
  EXPECT_EQ(ga::infer_model(normal.data(), ga::dtype::f32, 4), ga::value_model::normal_f32);
  const std::vector<double> grid32 = {std::ldexp(5.0, -32), std::ldexp(1.0, -32), 1.0};
  const std::vector<double> fine = {std::ldexp(5.0, -32), std::ldexp(3.0, -54), 1.0};
  EXPECT_EQ(ga::infer_model(grid32.data(), ga::dtype::f64, 3), ga::value_model::uniform_f64_32bit);
  EXPECT_EQ(ga::infer_model(fine.data(), ga::dtype::f64, 3), ga::value_model::uniform_f64_53bit);
  const std::vector<double> zero = {0.0, 0.5};
  EXPECT_EQ(ga::infer_model(zero.data(), ga::dtype::f64, 2), ga::value_model::normal_f64);

  // An explicit model replaces inference and must match the dtype.
  const auto v = honest<float>(3, 64, 16, philox_uniform);
  ga::options o;
  o.model = ga::value_model::uniform_f32;
  const ga::report r = audit(v, 1, 64, 16, ga::dtype::f32, o);
  EXPECT_FALSE(r.values.model_inferred);
  EXPECT_EQ(r.values.model, ga::value_model::uniform_f32);
  o.model = ga::value_model::normal_f64;
  try {
    ga::run(v.data(), ga::layout{1, 64, 16, ga::dtype::f32}, o);
    ADD_FAILURE() << "a f64 model on f32 data was accepted";
  } catch (const gpurand::Error& e) {
    EXPECT_EQ(e.code(), gpurand::errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("value_model"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ga::parse_value_model("uniform_f64_53bit"), ga::value_model::uniform_f64_53bit);
  EXPECT_THROW(ga::parse_value_model("gamma"), gpurand::Error);
}

TEST(Audit, RejectsBadArgumentsByName) {
  const std::vector<std::uint32_t> v(64, 1);
  auto expect_error = [&](const void* data, ga::layout l, ga::options o, const char* name) {
    try {
      ga::run(data, l, o);
      ADD_FAILURE() << "accepted bad " << name;
    } catch (const gpurand::Error& e) {
      EXPECT_EQ(e.code(), gpurand::errc::invalid_argument);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  const ga::layout ok{2, 4, 8, ga::dtype::u32};
  expect_error(v.data(), {0, 4, 8, ga::dtype::u32}, {}, "blocks");
  expect_error(v.data(), {2, 0, 8, ga::dtype::u32}, {}, "threads_per_block");
  expect_error(v.data(), {2, 4, 0, ga::dtype::u32}, {}, "per_thread");
  expect_error(nullptr, ok, {}, "data");
  expect_error(v.data(), {u64{1} << 40, u64{1} << 20, 1u << 10, ga::dtype::u32}, {}, "overflows");
  ga::options o;
  o.alpha = 0;
  expect_error(v.data(), ok, o, "alpha");
  o.alpha = std::nan("");
  expect_error(v.data(), ok, o, "alpha");
  o = {};
  o.window = 9;
  expect_error(v.data(), ok, o, "window");
}

TEST(Audit, SkipsStreamChecksForStreamsShorterThanTheWindow) {
  // Two u32 per thread are 64 bits: a chance match that short is plausible,
  // so the stream checks stand aside and say so; the value test still runs.
  const auto v = honest<std::uint32_t>(5, 4096, 2, philox_u32);
  const ga::report r = audit(v, 64, 64, 2, ga::dtype::u32);
  EXPECT_FALSE(r.stream_checks_run);
  EXPECT_TRUE(r.clean()) << ga::format(r);
  EXPECT_NE(ga::format(r).find("skipped"), std::string::npos);
  // An explicit window that fits runs them.
  ga::options o;
  o.window = 2;
  EXPECT_TRUE(audit(v, 64, 64, 2, ga::dtype::u32, o).stream_checks_run);
}

TEST(Audit, ResultDoesNotDependOnWorkerCount) {
  const u64 blocks = 16, tpb = 64, k = 128, threads = blocks * tpb;
  auto v = honest<std::uint32_t>(61, threads, k, philox_u32);
  for (u64 g = 100; g < 140; ++g) philox_u32(61, g - 90, g % 7 + 1, k, v.data() + g * k);
  ga::options one, four;
  one.workers = 1;
  four.workers = 4;
  const ga::report a = audit(v, blocks, tpb, k, ga::dtype::u32, one);
  const ga::report b = audit(v, blocks, tpb, k, ga::dtype::u32, four);
  EXPECT_EQ(a.overlap_runs, 40u);
  EXPECT_EQ(ga::format(a), ga::format(b));
}

// The audit runs on the library's one executor: when worker threads cannot
// be created it finishes on fewer (the same report), and it never aborts.
void fail_from_third_worker(unsigned index) {
  if (index >= 3)
    throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again),
                            "injected thread creation failure");
}
void fail_every_worker(unsigned) {
  throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again),
                          "injected");
}

TEST(Audit, SameReportWhenThreadCreationFails) {
  const u64 blocks = 16, tpb = 64, k = 128, threads = blocks * tpb;
  auto v = honest<std::uint32_t>(62, threads, k, philox_u32);
  for (u64 g = 100; g < 140; ++g) philox_u32(62, g - 90, g % 7 + 1, k, v.data() + g * k);
  auto z = honest<float>(63, threads, k, philox_normal);
  philox_normal(63, 5, 3, k, z.data() + 700 * k);
  ga::options eight;
  eight.workers = 8;
  const std::string u_text = ga::format(audit(v, blocks, tpb, k, ga::dtype::u32, eight));
  const std::string z_text = ga::format(audit(z, blocks, tpb, k, ga::dtype::f32, eight));
  for (auto hook : {fail_from_third_worker, fail_every_worker}) {
    gpurand::detail::set_thread_spawn_hook_for_testing(hook);
    const ga::report ru = audit(v, blocks, tpb, k, ga::dtype::u32, eight);
    const ga::report rz = audit(z, blocks, tpb, k, ga::dtype::f32, eight);
    gpurand::detail::set_thread_spawn_hook_for_testing(nullptr);
    EXPECT_EQ(ru.overlap_runs, 40u);
    EXPECT_EQ(ga::format(ru), u_text);
    EXPECT_GT(rz.draw_overlap_runs, 0u);
    EXPECT_EQ(ga::format(rz), z_text);
  }
}

// workers = 0 follows the CPU backend's thread count (set_cpu_settings).
TEST(Audit, DefaultWorkersFollowTheCpuBackendSetting) {
  const gpurand::cpu_settings saved = gpurand::get_cpu_settings();
  gpurand::set_cpu_settings({3, 0});
  std::atomic<unsigned> spawned{0};
  static std::atomic<unsigned>* counter = nullptr;
  counter = &spawned;
  gpurand::detail::set_thread_spawn_hook_for_testing([](unsigned) { counter->fetch_add(1); });
  const auto v = honest<std::uint32_t>(64, 256, 64, philox_u32);
  const ga::report r = audit(v, 4, 64, 64, ga::dtype::u32);
  gpurand::detail::set_thread_spawn_hook_for_testing(nullptr);
  gpurand::set_cpu_settings(saved);
  EXPECT_TRUE(r.clean());
  // Every parallel step of the audit asks for 3 threads: 2 spawns each.
  EXPECT_GT(spawned.load(), 0u);
  EXPECT_EQ(spawned.load() % 2, 0u);
}

// ---------------------------------------------------------------------------
// The CLI

struct cli_result {
  int code;
  std::string out, err;
};

cli_result run_cli(const std::vector<std::string>& args, const std::string& stdin_bytes = {}) {
  std::istringstream in(stdin_bytes);
  std::ostringstream out, err;
  const int code = gpurand::cli::audit_main(args, in, out, err);
  return {code, out.str(), err.str()};
}

class temp_file {
 public:
  explicit temp_file(const std::string& bytes) {
    static std::atomic<int> counter{0};
    path_ = (std::filesystem::temp_directory_path() /
             ("gpurand_audit_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
              ".bin"))
                .string();
    std::ofstream f(path_, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  ~temp_file() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

template <class T>
std::string as_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

void expect_bad_input(const cli_result& r, const std::string& names) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(r.out.empty());
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "want one line: " << r.err;
  EXPECT_NE(r.err.find(names), std::string::npos) << r.err;
}

TEST(Audit, CliCleanDataExitsZero) {
  const auto v = honest<float>(71, 256, 64, philox_uniform);
  temp_file file(as_bytes(v));
  const cli_result r = run_cli(
      {"--blocks", "4", "--threads", "64", "--per-thread", "64", "--dtype", "f32", file.path()});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(r.err.empty());
  EXPECT_NE(r.out.find("verdict: clean"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("uniform_f32"), std::string::npos) << r.out;
}

TEST(Audit, CliPlantedDefectExitsOne) {
  auto v = honest<std::uint32_t>(72, 256, 64, philox_u32);
  std::copy(v.begin() + 10 * 64, v.begin() + 11 * 64, v.begin() + 130 * 64);
  const cli_result r = run_cli({"--blocks=4", "--threads=64", "--per-thread=64", "--dtype=u32",
                                "--window", "4", "--alpha", "0.001", "-"},
                               as_bytes(v));
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("(block 2, thread 2) == (block 0, thread 10)"), std::string::npos) << r.out;
}

TEST(Audit, CliRejectsMalformedInput) {
  const auto v = honest<std::uint32_t>(73, 64, 16, philox_u32);
  const std::string bytes = as_bytes(v);
  temp_file file(bytes);
  const std::vector<std::string> shape = {"--blocks", "2", "--threads", "32", "--per-thread", "16"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = shape;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  // Size mismatch, both ways, naming expected and actual byte counts.
  expect_bad_input(run_cli(with({"--dtype", "u32", "-"}), bytes.substr(0, bytes.size() - 3)),
                   "expected 4096 bytes");
  expect_bad_input(run_cli(with({"--dtype", "u32", "-"}), bytes + "x"), "got 4097 bytes");
  expect_bad_input(run_cli(with({"--dtype", "f64", file.path()})), "expected 8192 bytes");
  // Missing or unreadable file.
  expect_bad_input(run_cli(with({"--dtype", "u32", "/nonexistent/gpurand/x.bin"})),
                   "/nonexistent/gpurand/x.bin");
  expect_bad_input(
      run_cli(with({"--dtype", "u32", std::filesystem::temp_directory_path().string()})),
      "directory");
  // Bad dtype and bad numbers.
  expect_bad_input(run_cli(with({"--dtype", "u64", "-"}), bytes), "--dtype");
  for (const char* bad : {"0", "-4", "four", "18446744073709551616", ""}) {
    expect_bad_input(
        run_cli({"--blocks", bad, "--threads", "32", "--per-thread", "16", "--dtype", "u32", "-"},
                bytes),
        "--blocks");
  }
  expect_bad_input(run_cli(with({"--dtype", "u32", "--window", "0", "-"}), bytes), "--window");
  expect_bad_input(run_cli(with({"--dtype", "u32", "--window", "17", "-"}), bytes), "--window");
  for (const char* bad : {"0", "1", "-0.1", "abc", "1e-4x", "nan"})
    expect_bad_input(run_cli(with({"--dtype", "u32", "--alpha", bad, "-"}), bytes), "--alpha");
  // B * T * K * size overflows 64 bits.
  expect_bad_input(run_cli({"--blocks", "4294967296", "--threads", "4294967296", "--per-thread",
                            "2", "--dtype", "u32", "-"},
                           bytes),
                   "overflows");
  // Unknown flags, missing FILE, extra positionals, missing required flags.
  expect_bad_input(run_cli(with({"--dtype", "u32", "--fast", "-"}), bytes), "--fast");
  expect_bad_input(run_cli(with({"--dtype", "u32"}), bytes), "FILE");
  expect_bad_input(run_cli(with({"--dtype", "u32", "-", "more.bin"}), bytes), "more.bin");
  expect_bad_input(run_cli({"--threads", "32", "--per-thread", "16", "--dtype", "u32", "-"}, bytes),
                   "--blocks");
  expect_bad_input(run_cli(with({"-"}), bytes), "--dtype");
  expect_bad_input(run_cli(with({"--dtype", "u32", "--dtype", "u32", "-"}), bytes), "--dtype");
  expect_bad_input(run_cli(with({"--dtype"}), bytes), "--dtype");
  // And the well-formed version of the same call is accepted.
  EXPECT_EQ(run_cli(with({"--dtype", "u32", file.path()})).code, 0);
}

}  // namespace
