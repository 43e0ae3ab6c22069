// The per-thread writer (gpurand::write_thread_streams) in every build, the one without the CUDA
// toolkit included: this file includes no CUDA header. Its Philox streams agree with the bulk
// fills, a separate path (gpurand/detail/bulk.hpp over the SIMD Philox kernels): group j of a
// fill at offset o is the first curand4 / curand_normal4 / curand_normal2_double of
// curand_init(seed, j, o), i.e. the first values of thread j's stream. Bit-exactness against
// cuRAND itself is checked where cuRAND's headers exist (philox_stream_test, generator_test,
// cli_test). The engines that need cuRAND are refused, before anything is written, where the
// build has no toolkit.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "expect_error.hpp"
#include "gpurand/discrete.hpp"
#include "gpurand/gpurand.hpp"

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
#if GPURAND_TEST_HAVE_CURAND
  gen.poisson(u.data(), u.size(), 3.0);
  EXPECT_EQ(o + bulk_draws(dist::poisson), gen.offset());
#else
  test::expect_error(errc::unsupported, "poisson needs cuRAND",
                     [&] { gen.poisson(u.data(), u.size(), 3.0); });
  EXPECT_EQ(o, gen.offset());
  for (std::uint32_t v : u) ASSERT_EQ(0xDEADBEEFu, v) << "a refused request wrote output";
#endif
}

}  // namespace
}  // namespace gpurand
