// The per-thread writer (gpurand::write_thread_streams) in every build, the one without the CUDA
// toolkit included: this file includes no CUDA header. Its Philox streams agree with the bulk
// fills, a separate path (gpurand/detail/bulk.hpp over the SIMD Philox kernels): group j of a
// fill at offset o is the first curand4 / curand_normal4 / curand_normal2_double of
// curand_init(seed, j, o), i.e. the first values of thread j's stream. Bit-exactness against
// cuRAND itself is checked where cuRAND's headers exist (philox_stream_test, generator_test,
// cli_test). The engines that need cuRAND are refused, before anything is written, where the
// build has no toolkit, and so is Poisson (cuRAND's helpers); the bounded integers run in every
// build and equal their definition (integer_ref.hpp) on cuRAND's Philox draws (philox_block),
// bulk and grid, within their budget (Error(exhausted) past it).

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "backend/cpu/fill.hpp"
#include "expect_error.hpp"
#include "gpurand/discrete.hpp"
#include "gpurand/gpurand.hpp"
#include "gpurand/philox.hpp"
#include "integer_ref.hpp"

namespace gpurand {
namespace {

constexpr std::uint64_t threads = 1000;

/// Parameters for gpurand's own distributions (the others ignore them).
template <class Request>
void set_params(Request& r) {
  static const discrete_table table{3, 0, 1, 2.5, 7};
  r.lambda = 0.75;
  r.p = 0.375;
  r.table = &table;
}

template <class T>
std::vector<T> grid(engine e, dist d, std::uint64_t seed, std::uint64_t offset,
                    std::uint64_t per_thread) {
  grid_request req;
  req.eng = e;
  req.kind = d;
  req.seed = seed;
  req.offset = offset;
  req.threads = threads;
  req.per_thread = per_thread;
  req.backend = backend_kind::cpu;
  set_params(req);
  std::vector<T> out(threads * per_thread);
  write_thread_streams(req, out.data());
  return out;
}

template <class T>
std::vector<T> bulk(dist d, std::uint64_t seed, std::uint64_t offset, std::size_t n) {
  bulk_request req;
  req.kind = d;
  req.seed = seed;
  req.offset = offset;
  req.n = n;
  req.backend = backend_kind::cpu;
  set_params(req);
  std::vector<T> out(n);
  fill(req, out.data());
  return out;
}

/// Thread g's first `per` values equal bulk group g (mean 0, stddev 1 scale exactly; a zero's
/// sign may differ after the portable normal's fma, so values compare, not bits).
template <class T>
void expect_threads_are_groups(dist d, unsigned per) {
  for (std::uint64_t offset : {0ull, 1ull, 6ull, 1ull << 40, ~0ull - 7}) {
    const std::vector<T> g = grid<T>(engine::philox4_32_10, d, 42, offset, per);
    const std::vector<T> b = bulk<T>(d, 42, offset, threads * per);
    for (std::uint64_t i = 0; i < g.size(); ++i)
      ASSERT_EQ(b[i], g[i]) << to_string(d) << " at offset " << offset << ": thread " << i / per
                            << ", value " << i % per;
  }
}

TEST(Writer, PhiloxThreadStreamsStartWithTheirBulkGroup) {
  expect_threads_are_groups<std::uint32_t>(dist::u32, 4);
  expect_threads_are_groups<float>(dist::uniform, 4);
  expect_threads_are_groups<float>(dist::normal, 4);
  expect_threads_are_groups<double>(dist::normal_double, 2);
  expect_threads_are_groups<float>(dist::normal_portable, 4);
  expect_threads_are_groups<double>(dist::normal_portable_double, 2);
  expect_threads_are_groups<float>(dist::exponential, 4);
  expect_threads_are_groups<std::uint32_t>(dist::bernoulli, 4);
  expect_threads_are_groups<std::uint32_t>(dist::discrete, 2);
}

TEST(Writer, PhiloxUniformDoubleIsOneDrawScaled) {
  // curand_uniform_double on Philox: one 32-bit draw x, x * 2^-32 + 2^-32.
  const auto u = grid<std::uint32_t>(engine::philox4_32_10, dist::u32, 9, 3, 7);
  const auto d = grid<double>(engine::philox4_32_10, dist::uniform_double, 9, 3, 7);
  for (std::size_t i = 0; i < u.size(); ++i)
    ASSERT_EQ(static_cast<double>(u[i]) * 0x1p-32 + 0x1p-32, d[i]) << "value " << i;
}

TEST(Writer, CurandOnlyEnginesNeedTheToolkit) {
  for (engine e : {engine::xorwow, engine::mrg32k3a}) {
    grid_request req;
    req.eng = e;
    req.kind = dist::u32;
    req.seed = 5;
    req.threads = 64;
    req.per_thread = 4;
    req.backend = backend_kind::cpu;
    const std::uint32_t sentinel = 0xDEADBEEF;
    std::vector<std::uint32_t> out(64 * 4, sentinel);
#if GPURAND_TEST_HAVE_CURAND
    write_thread_streams(req, out.data());
    std::size_t untouched = 0;
    for (std::uint32_t v : out) untouched += v == sentinel;
    EXPECT_LT(untouched, out.size()) << to_string(e);
#else
    test::expect_error(errc::unsupported, std::string(to_string(e)) + " engine needs cuRAND",
                       [&] { write_thread_streams(req, out.data()); });
    test::expect_error(errc::unsupported, "without the CUDA toolkit",
                       [&] { write_thread_streams(req, out.data()); });
    for (std::uint32_t v : out) ASSERT_EQ(sentinel, v) << "a refused request wrote output";
#endif
  }
}

TEST(Writer, PoissonNeedsTheToolkitAndTheBulkLogNormalDoesNot) {
  // Poisson's bodies call cuRAND's helpers; the bulk log-normal is plain C++ (bulk.hpp).
  Generator gen(options{5, backend_kind::cpu, 0});
  std::vector<std::uint32_t> u(16, 0xDEADBEEF);
  std::vector<float> f(16);
  gen.log_normal(f.data(), f.size(), 0.0f, 1.0f);
  for (const float v : f) EXPECT_GT(v, 0.0f);
  const std::uint64_t o = gen.offset();
  grid_request g;
  g.kind = dist::poisson;
  g.lambda = 3.0;
  g.threads = 4;
  g.per_thread = 4;
  g.backend = backend_kind::cpu;
#if GPURAND_TEST_HAVE_CURAND
  gen.poisson(u.data(), u.size(), 3.0);
  EXPECT_EQ(o + bulk_draws(dist::poisson), gen.offset());
  write_thread_streams(g, u.data());
#else
  test::expect_error(errc::unsupported, "poisson needs cuRAND",
                     [&] { gen.poisson(u.data(), u.size(), 3.0); });
  test::expect_error(errc::unsupported, "curand_poisson's helpers",
                     [&] { gen.poisson(u.data(), u.size(), 3.0); });
  EXPECT_EQ(o, gen.offset());
  // The per-thread writer says the same.
  test::expect_error(errc::unsupported, "poisson needs cuRAND",
                     [&] { write_thread_streams(g, u.data()); });
  for (std::uint32_t v : u) ASSERT_EQ(0xDEADBEEFu, v) << "a refused request wrote output";
#endif
}

// ---- the bounded integers, in every build ----------------------------------------------------

/// cuRAND's stream curand_init(seed, sub, offset), one draw at a time, from gpurand::philox_block
/// (the Random123 Philox4x32-10 under cuRAND's key and counter layout).
struct ref_draws {
  std::uint64_t seed, sub, pos;
  std::uint32_t operator()() {
    const philox_counter b = philox_block(seed, sub, pos >> 2);
    return b.v[pos++ & 3];
  }
};

struct int_range {
  std::uint64_t low, high;
};
constexpr std::uint64_t two32 = std::uint64_t{1} << 32;
// Ranges 1, 3, 3 * 2^30, 2^32 - 1 and 2^32 (the whole word).
const int_range ranges32[] = {{0, 1},     {two32 - 1, two32},
                              {7, 10},    {5, 5 + 3 * (std::uint64_t{1} << 30)},
                              {1, two32}, {0, two32}};
// Ranges 1, 3, 3 * 2^62, 2^64 - 2 and 2^64 - 1.
const int_range ranges64[] = {
    {~0ull - 1, ~0ull}, {0, 1}, {9, 12}, {12345, 12345 + 3 * (1ull << 62)}, {1, ~0ull}, {0, ~0ull}};

/// The bulk layout of the integers (Generator::integers): group j reads curand_init(seed,
/// first_group + j, offset); its first Philox block holds every value's first try (integer:
/// value 0 (x0, x1), value 1 (x2, x3); integer64: (x0, x1, x2, x3)), and retries continue with
/// the subsequence's next draws, value 0's first.
std::vector<std::uint64_t> ref_integer_bulk(bool wide64, std::uint64_t seed, std::uint64_t offset,
                                            std::uint64_t first_group, std::size_t n, int_range r) {
  const unsigned per = wide64 ? 1 : 2, words = 4 / per;
  std::vector<std::uint64_t> out;
  for (std::uint64_t j = 0; out.size() < n; ++j) {
    ref_draws s{seed, first_group + j, offset};
    const std::uint32_t x[4] = {s(), s(), s(), s()};
    for (unsigned l = 0; l < per; ++l) {
      unsigned used = 0;
      const std::uint64_t v = test::ref_integer(wide64, r.low, r.high, [&]() -> std::uint32_t {
        return used < words ? x[l * words + used++] : s();
      });
      if (out.size() < n) out.push_back(v);
    }
  }
  return out;
}

/// The per-thread writer's integers: thread g's values are consecutive values of its stream
/// curand_init(seed, g, offset), thread-major or (interleave) draw-major.
std::vector<std::uint64_t> ref_integer_grid(bool wide64, const grid_request& q) {
  std::vector<std::uint64_t> out(q.threads * q.per_thread);
  for (std::uint64_t t = 0; t < q.threads; ++t) {
    ref_draws s{q.seed, q.first_thread + t, q.offset};
    for (std::uint64_t i = 0; i < q.per_thread; ++i)
      out[q.interleave ? i * q.threads + t : t * q.per_thread + i] =
          test::ref_integer(wide64, q.low, q.high, s);
  }
  return out;
}

template <class T>
std::vector<std::uint64_t> widen(const std::vector<T>& v) {
  return std::vector<std::uint64_t>(v.begin(), v.end());
}

/// fill() of an integer kind (uint32 or uint64 values), widened.
std::vector<std::uint64_t> integer_fill(dist d, std::uint64_t seed, std::uint64_t offset,
                                        std::uint64_t first_group, std::size_t n, int_range r) {
  bulk_request q;
  q.kind = d;
  q.seed = seed;
  q.offset = offset;
  q.first_group = first_group;
  q.n = n;
  q.low = r.low;
  q.high = r.high;
  q.backend = backend_kind::cpu;
  if (d == dist::integer64) {
    std::vector<std::uint64_t> out(n);
    fill(q, out.data());
    return out;
  }
  std::vector<std::uint32_t> out(n);
  fill(q, out.data());
  return widen(out);
}

grid_request integer_grid_request(dist d, int_range r) {
  grid_request q;
  q.kind = d;
  q.seed = 0x0123456789ABCDEFull;
  q.low = r.low;
  q.high = r.high;
  q.backend = backend_kind::cpu;
  return q;
}

std::vector<std::uint64_t> integer_grid(const grid_request& q) {
  if (q.kind == dist::integer64) {
    std::vector<std::uint64_t> out(q.threads * q.per_thread);
    write_thread_streams(q, out.data());
    return out;
  }
  std::vector<std::uint32_t> out(q.threads * q.per_thread);
  write_thread_streams(q, out.data());
  return widen(out);
}

TEST(WriterIntegers, BulkFillsEqualTheDefinitionOnPhiloxDraws) {
  for (dist d : {dist::integer, dist::integer64}) {
    const bool wide64 = d == dist::integer64;
    for (const int_range& r : wide64 ? ranges64 : ranges32)
      for (std::uint64_t offset : {0ull, 6ull, (1ull << 50) + 1})
        for (std::uint64_t first_group : {0ull, 1ull << 63}) {
          const std::size_t n = 1001;  // integer: the last group is half used
          ASSERT_EQ(ref_integer_bulk(wide64, 99, offset, first_group, n, r),
                    integer_fill(d, 99, offset, first_group, n, r))
              << to_string(d) << " [" << r.low << ", " << r.high << ") offset " << offset
              << " first_group " << first_group;
        }
  }
}

TEST(WriterIntegers, GeneratorIntegersAreTheBulkLayoutAtItsOffset) {
  Generator gen(options{31, backend_kind::cpu, 0});
  const int_range a = ranges32[3], b = ranges64[3];
  std::vector<std::uint32_t> u(77);
  std::vector<std::uint64_t> w(77);
  const std::uint64_t o = gen.offset();
  gen.integers(u.data(), u.size(), a.low, a.high);
  EXPECT_EQ(ref_integer_bulk(false, 31, o, 0, u.size(), a), widen(u));
  EXPECT_EQ(o + bulk_draws(dist::integer), gen.offset());
  gen.integers(w.data(), w.size(), b.low, b.high);
  EXPECT_EQ(ref_integer_bulk(true, 31, o + bulk_draws(dist::integer), 0, w.size(), b), w);
  EXPECT_EQ(o + bulk_draws(dist::integer) + bulk_draws(dist::integer64), gen.offset());
}

TEST(WriterIntegers, ThreadStreamsEqualTheDefinitionOnPhiloxDraws) {
  for (dist d : {dist::integer, dist::integer64}) {
    const bool wide64 = d == dist::integer64;
    for (const int_range& r : wide64 ? ranges64 : ranges32)
      for (std::uint64_t offset : {0ull, 3ull, (1ull << 40) + 1})
        for (std::uint64_t first_thread : {0ull, (1ull << 40) + 3})
          for (bool interleave : {false, true}) {
            grid_request q = integer_grid_request(d, r);
            q.offset = offset;
            q.first_thread = first_thread;
            q.threads = 37;
            q.per_thread = 5;
            q.interleave = interleave;
            ASSERT_EQ(ref_integer_grid(wide64, q), integer_grid(q))
                << to_string(d) << " [" << r.low << ", " << r.high << ") offset " << offset
                << " first_thread " << first_thread << (interleave ? " interleaved" : "");
          }
  }
}

TEST(WriterIntegers, LowNotBelowHighIsRefusedNamingHigh) {
  Generator gen(options{8, backend_kind::cpu, 0});
  const std::uint64_t o = gen.offset();
  std::vector<std::uint32_t> u(8, 0xDEADBEEF);
  std::vector<std::uint64_t> w(8, 0xDEADBEEF);
  test::expect_error(errc::invalid_argument, "high: must be above low = 5",
                     [&] { gen.integers(u.data(), u.size(), 5, 5); });
  test::expect_error(errc::invalid_argument, "got 3",
                     [&] { gen.integers(w.data(), w.size(), 9, 3); });
  EXPECT_EQ(o, gen.offset()) << "a refused request consumed draws";
  for (dist d : {dist::integer, dist::integer64}) {
    grid_request q = integer_grid_request(d, {17, 17});
    q.threads = 2;
    q.per_thread = 4;
    test::expect_error(errc::invalid_argument, "high: must be above low = 17", [&] {
      write_thread_streams(q, d == dist::integer ? static_cast<void*>(u.data()) : w.data());
    });
  }
  for (std::uint32_t v : u) ASSERT_EQ(0xDEADBEEFu, v) << "a refused request wrote output";
  for (std::uint64_t v : w) ASSERT_EQ(0xDEADBEEFu, v) << "a refused request wrote output";
}

/// Caps the CPU backend's variable-draw budget for one test.
struct scoped_budget {
  explicit scoped_budget(std::uint64_t draws) { detail::set_cpu_draw_budget_for_testing(draws); }
  ~scoped_budget() { detail::set_cpu_draw_budget_for_testing(0); }
};

TEST(WriterIntegers, ABudgetShortfallIsExhaustedAndTheExactBudgetIsEnough) {
  // A bulk group's first tries take its first Philox block (4 draws): a budget of 4 is enough
  // (no retry at these seeds: the fill equals the definition), 3 is not.
  for (dist d : {dist::integer, dist::integer64}) {
    const bool wide64 = d == dist::integer64;
    const int_range r = wide64 ? ranges64[3] : ranges32[3];
    {
      scoped_budget cap(4);
      EXPECT_EQ(ref_integer_bulk(wide64, 5, 8, 0, 101, r), integer_fill(d, 5, 8, 0, 101, r));
    }
    scoped_budget cap(3);
    test::expect_error(errc::exhausted, "needed more than its 3 reserved draws",
                       [&] { (void)integer_fill(d, 5, 8, 0, 101, r); });
  }
  // A thread's 5 values take 5 tries of 2 (integer) or 4 (integer64) draws.
  for (dist d : {dist::integer, dist::integer64}) {
    const bool wide64 = d == dist::integer64;
    grid_request q = integer_grid_request(d, wide64 ? ranges64[3] : ranges32[3]);
    q.first_thread = 40;
    q.threads = 9;
    q.per_thread = 5;
    const std::uint64_t need = 5 * (wide64 ? 4 : 2);
    {
      scoped_budget cap(need);
      EXPECT_EQ(ref_integer_grid(wide64, q), integer_grid(q)) << to_string(d);
    }
    scoped_budget cap(need - 1);
    test::expect_error(errc::exhausted,
                       "subsequence 40 needed more than its " + std::to_string(need - 1),
                       [&] { (void)integer_grid(q); });
  }
}

}  // namespace
}  // namespace gpurand
