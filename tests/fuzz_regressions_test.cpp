// Minimal reproducers of what the differential fuzzer (tests/fuzz/bulk_diff_fuzz.cpp) found in
// the library. Each input is also kept in tests/fuzz/corpus/bulk_diff/regress_*, so the fuzz
// run replays it too; these tests make the same point in the ordinary suite.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "curand_ref.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::test {
namespace {

constexpr unsigned char sentinel = 0xA5;

bool untouched(const std::vector<unsigned char>& buf) {
  for (unsigned char c : buf)
    if (c != sentinel) return false;
  return true;
}

bulk_request cpu_fill(dist d, std::size_t n, double mean, double stddev) {
  bulk_request r;
  r.kind = d;
  r.seed = 0;
  r.offset = 0;
  r.n = n;
  r.mean = mean;
  r.stddev = stddev;
  r.backend = backend_kind::cpu;
  return r;
}

// corpus regress_u32_fill_huge_mean. mean and stddev are documented as "normals only", yet the
// CPU backend converted them to the value type of every fill: for u32, -3.4e38 -> unsigned is
// undefined behaviour (UBSan float-cast-overflow; the asan preset enables that check). A
// non-normal fill must ignore them, whatever they hold.
// corpus regress_portable_normal_negative_zero_mean. The SIMD portable normal
// broadcast mean and stddev as vf{} + x, which turns -0 into +0: with mean -0
// and stddev 0 the vectorised groups gave +0 where the scalar body (and the
// GPU) give fma(z, 0, -0) = -0 for negative z. Every bit must match.
TEST(FuzzRegressions, PortableNormalKeepsTheSignOfAZeroMeanAndStddev) {
  for (dist d : {dist::normal_portable, dist::normal_portable_double}) {
    for (double sd : {0.0, -0.0, 4.9406564584124654e-324}) {
      bulk_request r;
      r.kind = d;
      r.seed = 18446744073709551611ull;
      r.offset = 8;
      r.n = 4099;  // many full groups (the SIMD path) and a partial one
      r.mean = -0.0;
      r.stddev = sd;
      r.backend = backend_kind::cpu;
      std::vector<unsigned char> got(r.n * value_size(d));
      fill(r, got.data());
      const auto want = ref_bulk(d, r.seed, r.offset, 0, r.n, r.mean, r.stddev);
      EXPECT_EQ(want, got) << to_string(d) << " stddev " << sd;
    }
  }
}

TEST(FuzzRegressions, NonNormalFillsIgnoreMeanAndStddev) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (dist d : {dist::u32, dist::uniform, dist::uniform_double})
    for (double mean : {-3.4028234663852886e+38, 1e300, nan})
      for (double stddev : {0.0, -1.0, 1e300, nan}) {
        const std::size_t n = 57;
        std::vector<unsigned char> got(n * value_size(d), sentinel);
        fill(cpu_fill(d, n, mean, stddev), got.data());
        const auto want = ref_bulk(d, 0, 0, 0, n);
        EXPECT_EQ(0, std::memcmp(got.data(), want.data(), want.size()))
            << to_string(d) << " mean=" << mean << " stddev=" << stddev;
      }
}

// corpus regress_float_normal_mean_beyond_float. A float normal fill computes in float: a mean
// or stddev that rounds to infinity as a float (1e39, DBL_MAX) gave inf or NaN for every value
// and was accepted. Such a request must be an Error that writes nothing.
TEST(FuzzRegressions, FloatNormalRejectsMeanOrStddevBeyondFloatRange) {
  const double dbl_max = std::numeric_limits<double>::max();
  const struct {
    double mean, stddev;
  } cases[] = {{1e39, 1.0}, {-1e39, 1.0}, {0.0, 1e39}, {dbl_max, dbl_max}};
  for (const auto& c : cases) {
    const std::size_t n = 60;
    std::vector<unsigned char> got(n * 4, sentinel);
    EXPECT_THROW(fill(cpu_fill(dist::normal, n, c.mean, c.stddev), got.data()), Error)
        << "mean=" << c.mean << " stddev=" << c.stddev;
    EXPECT_TRUE(untouched(got)) << "mean=" << c.mean << " stddev=" << c.stddev;
  }
}

// corpus regress_cpu_block_uint64_max. cpu_settings{threads, block = 2^64-1}: the task count
// (work + block - 1) / block wrapped to 0, so fill() and write_thread_streams() returned
// normally having written nothing. Results must never depend on the CPU settings: either the
// setting is refused, or every value is written.
TEST(FuzzRegressions, HugeCpuBlockStillWritesEveryValue) {
  const cpu_settings saved = get_cpu_settings();
  bool refused = false;
  try {
    set_cpu_settings({1, std::numeric_limits<std::uint64_t>::max()});
  } catch (const Error&) {
    refused = true;
  }
  if (!refused) {
    const auto grid = cpu_grid(engine::philox4_32_10, dist::u32, 0, 0, 14, 2, 14, true);
    std::vector<unsigned char> bulk(57 * 4, sentinel);
    fill(cpu_fill(dist::u32, 57, 0.0, 1.0), bulk.data());
    set_cpu_settings(saved);
    for (std::uint64_t t = 0; t < 2; ++t) {
      const auto want = ref_stream(engine::philox4_32_10, dist::u32, 0, 14 + t, 0, 14);
      for (std::uint64_t k = 0; k < 14; ++k)
        EXPECT_EQ(0, std::memcmp(grid.data() + 4 * (k * 2 + t), want.data() + 4 * k, 4))
            << "thread " << 14 + t << " draw " << k;
    }
    const auto want = ref_bulk(dist::u32, 0, 0, 0, 57);
    EXPECT_EQ(0, std::memcmp(bulk.data(), want.data(), want.size()));
  }
  set_cpu_settings(saved);
}

// corpus regress_mrg32k3a_thread_ids_near_2_64. cuRAND documents MRG32k3a's curand_init as
// valid for subsequences below 2^51, and its skip-ahead table ends there: from 2^51 to 2^56 the
// state comes out all zero (every thread the same constant stream: curand() gives 0 on the host
// and 2^32-1 on the GPU, whose conversion saturates), and from 2^56 it reads past the table
// (undefined behaviour, seen by ASan and UBSan). gpurand must refuse such thread ids rather
// than hand out identical streams; ids just below 2^51 still work and equal cuRAND's.
TEST(FuzzRegressions, Mrg32k3aRefusesThreadIdsFromTwoToThe51) {
  const std::uint64_t limit = std::uint64_t{1} << 51;
  for (std::uint64_t first : {limit, limit - 1, ~std::uint64_t{0} - 9}) {
    grid_request r;
    r.eng = engine::mrg32k3a;
    r.kind = dist::u32;
    r.seed = 11;
    r.first_thread = first;
    r.threads = 2;
    r.per_thread = 4;
    r.backend = backend_kind::cpu;
    std::vector<unsigned char> got(2 * 4 * 4, sentinel);
    EXPECT_THROW(write_thread_streams(r, got.data()), Error) << "first_thread=" << first;
    EXPECT_TRUE(untouched(got)) << "first_thread=" << first;
  }
  const auto got = cpu_grid(engine::mrg32k3a, dist::u32, 11, 0, limit - 2, 2, 4);
  for (std::uint64_t t = 0; t < 2; ++t) {
    const auto want = ref_stream(engine::mrg32k3a, dist::u32, 11, limit - 2 + t, 0, 4);
    EXPECT_EQ(0, std::memcmp(got.data() + t * want.size(), want.data(), want.size()))
        << "thread 2^51 - " << 2 - t;
  }
}

}  // namespace
}  // namespace gpurand::test
