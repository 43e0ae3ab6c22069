// The CPU backend against cuRAND, bit for bit: cuRAND's device functions
// compiled for the host, and cuRAND's own host generator.

#include <curand.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "curand_ref.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::test {
namespace {

constexpr std::uint64_t max64 = ~std::uint64_t{0};

std::vector<unsigned char> bulk(dist d, std::uint64_t seed, std::uint64_t offset,
                                std::uint64_t first_group, std::size_t n, double mean = 0,
                                double stddev = 1) {
  detail::fill_params<double> p = ref_params();
  p.mean = mean;
  p.stddev = stddev;
  return cpu_bulk(d, seed, offset, first_group, n, p);
}

std::string where(engine e, dist d, std::uint64_t seed, std::uint64_t off, std::uint64_t sub) {
  return std::string(to_string(e)) + "/" + to_string(d) + " seed=" + std::to_string(seed) +
         " offset=" + std::to_string(off) + " subsequence=" + std::to_string(sub);
}

TEST(Parity, GridMatchesCurandDeviceFunctionsEveryEngineAndDist) {
  // 7 threads x 11 draws: odd counts exercise the normals' cached pair.
  for (engine e : all_engines)
    for (dist d : all_dists)
      for (std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{1}, max64})
        for (std::uint64_t off : {std::uint64_t{0}, std::uint64_t{3}, std::uint64_t{6}}) {
          const std::uint64_t threads = 7, k = 11;
          const auto got = cpu_grid(e, d, seed, off, 0, threads, k);
          for (std::uint64_t g = 0; g < threads; ++g) {
            const auto want = ref_stream(e, d, seed, g, off, k);
            ASSERT_EQ(0, std::memcmp(got.data() + g * want.size(), want.data(), want.size()))
                << where(e, d, seed, off, g);
          }
        }
}

TEST(Parity, PhiloxGridAtExtremeSubsequencesAndOffsets) {
  for (dist d : all_dists)
    for (std::uint64_t first : {std::uint64_t{1}, max64 - 4})
      for (std::uint64_t off : {std::uint64_t{1}, std::uint64_t{5}, std::uint64_t{1} << 40,
                                max64 - draws_for(engine::philox4_32_10, d, 9) + 1}) {
        const auto got =
            cpu_grid(engine::philox4_32_10, d, 0x9e3779b97f4a7c15ull, off, first, 5, 9);
        for (std::uint64_t t = 0; t < 5; ++t) {
          const auto want =
              ref_stream(engine::philox4_32_10, d, 0x9e3779b97f4a7c15ull, first + t, off, 9);
          ASSERT_EQ(0, std::memcmp(got.data() + t * want.size(), want.data(), want.size()))
              << where(engine::philox4_32_10, d, 0, off, first + t);
        }
      }
}

TEST(Parity, InterleavedGridIsTheTransposeOfThreadMajor) {
  for (dist d : all_dists) {
    const std::uint64_t threads = 6, k = 10, size = value_size(d);
    const auto tm = cpu_grid(engine::philox4_32_10, d, 42, 8, 0, threads, k);
    const auto il = cpu_grid(engine::philox4_32_10, d, 42, 8, 0, threads, k, true);
    for (std::uint64_t g = 0; g < threads; ++g)
      for (std::uint64_t i = 0; i < k; ++i)
        ASSERT_EQ(0, std::memcmp(tm.data() + (g * k + i) * size,
                                 il.data() + (i * threads + g) * size, size))
            << to_string(d) << " thread " << g << " draw " << i;
  }
}

TEST(Parity, BulkMatchesCurandFourWideCalls) {
  // n = 37 and 38 leave partial last groups for both group sizes.
  for (dist d : all_dists)
    for (std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{1}, max64})
      for (std::uint64_t off :
           {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3},
            std::uint64_t{4}, std::uint64_t{7}, max64 - bulk_draws(d) + 1})
        for (std::size_t n :
             {std::size_t{1}, std::size_t{37}, std::size_t{38}, std::size_t{1000}}) {
          const auto got = bulk(d, seed, off, 0, n);
          const auto want = ref_bulk(d, seed, off, 0, n);
          ASSERT_EQ(0, std::memcmp(got.data(), want.data(), want.size()))
              << to_string(d) << " seed=" << seed << " offset=" << off << " n=" << n;
        }
}

TEST(Parity, BulkNormalAppliesMeanAndStddevLikeCurand) {
  for (dist d : {dist::normal, dist::normal_double}) {
    const auto got = bulk(d, 5, 8, 0, 101, -3.5, 2.25);
    const auto want = ref_bulk(d, 5, 8, 0, 101, -3.5, 2.25);
    EXPECT_EQ(0, std::memcmp(got.data(), want.data(), want.size())) << to_string(d);
  }
}

TEST(Parity, BulkNearTheLastSubsequence) {
  for (dist d : all_dists) {
    const std::uint64_t per = detail::values_per_group(d);
    const std::uint64_t first_group = max64 - 9;  // groups up to 2^64-1
    const auto got = bulk(d, 77, 12, first_group, 10 * per);
    for (std::uint64_t j = 0; j < 10; ++j) {
      // Group g of the layout is curand_init(seed, g, offset)'s first 4-wide draw.
      curandStatePhilox4_32_10_t s;
      curand_init(77, first_group + j, 12, &s);
      unsigned char want[16];
      const std::size_t group_bytes = per * value_size(d);
      if (from_raw_draws(d)) {  // the definition over curand4's words, in order
        const uint4 r = curand4(&s);
        const unsigned w[4] = {r.x, r.y, r.z, r.w};
        const unsigned* x = w;
        for (std::uint64_t l = 0; l < per; ++l)
          ref_own_value(d, [&] { return *x++; }, want + l * value_size(d));
      } else if (d == dist::u32) {
        const uint4 r = curand4(&s);
        std::memcpy(want, &r, 16);
      } else if (d == dist::uniform) {
        const float4 r = curand_uniform4(&s);
        std::memcpy(want, &r, 16);
      } else if (d == dist::normal) {
        const float4 r = curand_normal4(&s);
        std::memcpy(want, &r, 16);
      } else if (d == dist::uniform_double) {
        const double2 r = curand_uniform2_double(&s);
        std::memcpy(want, &r, 16);
      } else if (d == dist::normal_portable) {  // curand4's draws through the portable pair
        const uint4 r = curand4(&s);
        const auto a = detail::portable_box_muller_pair(r.x, r.y);
        const auto b = detail::portable_box_muller_pair(r.z, r.w);
        const float v[4] = {a.x, a.y, b.x, b.y};
        std::memcpy(want, v, 16);
      } else if (d == dist::normal_portable_double) {
        const uint4 r = curand4(&s);
        const auto a = detail::portable_box_muller_double(r.x, r.y, r.z, r.w);
        const double v[2] = {a.x, a.y};
        std::memcpy(want, v, 16);
      } else if (d == dist::log_normal) {
        const float4 r = curand_log_normal4(&s, 0.0f, 1.0f);
        std::memcpy(want, &r, 16);
      } else if (d == dist::log_normal_double) {
        const double2 r = curand_log_normal2_double(&s, 0.0, 1.0);
        std::memcpy(want, &r, 16);
      } else if (d == dist::poisson) {
        const uint4 r = curand_poisson4(&s, test_lambda);
        std::memcpy(want, &r, 16);
      } else {
        const double2 r = curand_normal2_double(&s);
        std::memcpy(want, &r, 16);
      }
      ASSERT_EQ(0, std::memcmp(got.data() + j * group_bytes, want, group_bytes))
          << to_string(d) << " group " << j;
    }
  }
}

TEST(Parity, BulkInPiecesEqualsOneFill) {
  for (dist d : all_dists) {
    const std::uint64_t per = detail::values_per_group(d), size = value_size(d);
    const auto whole = bulk(d, 3, 20, 0, 1000);
    const auto a = bulk(d, 3, 20, 0, 100 * per);
    const auto b = bulk(d, 3, 20, 100, 1000 - 100 * per);
    ASSERT_EQ(0, std::memcmp(whole.data(), a.data(), a.size())) << to_string(d);
    ASSERT_EQ(0, std::memcmp(whole.data() + 100 * per * size, b.data(), b.size())) << to_string(d);
  }
}

TEST(Parity, StreamContinuedAcrossSplitCallsAndSkipahead) {
  // A stream split at draw k0 continues as curand_init(seed, g, offset + draws(k0)).
  for (engine e : all_engines)
    for (dist d : all_dists) {
      if (is_variable(d)) continue;  // draws_for is a cap there, not the draws taken
      const auto whole = ref_stream(e, d, 11, 3, 4, 20);
      const std::uint64_t k0 = 8;
      const auto tail = cpu_grid(e, d, 11, 4 + draws_for(e, d, k0), 3, 1, 12);
      ASSERT_EQ(0, std::memcmp(whole.data() + k0 * value_size(d), tail.data(), tail.size()))
          << to_string(e) << "/" << to_string(d);
    }
  // skipahead(n) is n discarded draws, for every engine.
  for (unsigned long long n : {1ull, 3ull, 4ull, 9ull, 1000ull}) {
    auto check = [&](auto state_tag) {
      using S = decltype(state_tag);
      S a, b;
      curand_init(99, 2, 0, &a);
      curand_init(99, 2, 0, &b);
      skipahead(n, &a);
      for (unsigned long long i = 0; i < n; ++i) (void)curand(&b);
      for (int i = 0; i < 8; ++i) ASSERT_EQ(curand(&a), curand(&b)) << "n=" << n;
    };
    check(curandStatePhilox4_32_10_t{});
    check(curandStateXORWOW_t{});
    check(curandStateMRG32k3a_t{});
  }
}

TEST(Parity, BulkMatchesCurandHostGeneratorAtOffsetZero) {
  // cuRAND's host generator (curandCreateGeneratorHost) uses the same layout
  // as gpurand's bulk fills at offset 0 for 32-bit kinds. Its offset is set
  // explicitly: a new seed alone does not rewind it after a normal fill.
  curandGenerator_t g;
  ASSERT_EQ(CURAND_STATUS_SUCCESS, curandCreateGeneratorHost(&g, CURAND_RNG_PSEUDO_PHILOX4_32_10));
  for (std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{1234}, max64}) {
    const std::size_t n = 4096;
    std::vector<unsigned> u(n);
    std::vector<float> f(n), z(n);
    ASSERT_EQ(CURAND_STATUS_SUCCESS, curandSetPseudoRandomGeneratorSeed(g, seed));
    ASSERT_EQ(CURAND_STATUS_SUCCESS, curandSetGeneratorOffset(g, 0));
    ASSERT_EQ(CURAND_STATUS_SUCCESS, curandGenerate(g, u.data(), n));
    ASSERT_EQ(CURAND_STATUS_SUCCESS, curandSetPseudoRandomGeneratorSeed(g, seed));
    ASSERT_EQ(CURAND_STATUS_SUCCESS, curandSetGeneratorOffset(g, 0));
    ASSERT_EQ(CURAND_STATUS_SUCCESS, curandGenerateUniform(g, f.data(), n));
    ASSERT_EQ(CURAND_STATUS_SUCCESS, curandSetPseudoRandomGeneratorSeed(g, seed));
    ASSERT_EQ(CURAND_STATUS_SUCCESS, curandSetGeneratorOffset(g, 0));
    ASSERT_EQ(CURAND_STATUS_SUCCESS, curandGenerateNormal(g, z.data(), n, 1.5f, 0.5f));
    EXPECT_EQ(0, std::memcmp(u.data(), bulk(dist::u32, seed, 0, 0, n).data(), 4 * n));
    EXPECT_EQ(0, std::memcmp(f.data(), bulk(dist::uniform, seed, 0, 0, n).data(), 4 * n));
    EXPECT_EQ(0, std::memcmp(z.data(), bulk(dist::normal, seed, 0, 0, n, 1.5, 0.5).data(), 4 * n));
  }
  curandDestroyGenerator(g);
}

TEST(Parity, BulkIndependentOfCpuThreadsAndBlockSize) {
  for (dist d : all_dists) {
    std::vector<unsigned char> first;
    for (unsigned threads : {1u, 2u, 3u, 8u})
      for (std::uint64_t block :
           {std::uint64_t{1}, std::uint64_t{7}, std::uint64_t{256}, std::uint64_t{100000}}) {
        scoped_cpu_settings cfg(threads, block);
        const auto got = bulk(d, 8, 16, 0, 10001);
        if (first.empty()) first = got;
        ASSERT_EQ(first, got) << to_string(d) << " threads=" << threads << " block=" << block;
      }
  }
}

TEST(Parity, GridIndependentOfCpuThreadsAndBlockSize) {
  for (dist d : all_dists) {
    std::vector<unsigned char> first;
    for (unsigned threads : {1u, 2u, 5u})
      for (std::uint64_t block : {std::uint64_t{1}, std::uint64_t{48}, std::uint64_t{4096}}) {
        scoped_cpu_settings cfg(threads, block);
        const auto got = cpu_grid(engine::philox4_32_10, d, 8, 0, 0, 300, 7);
        if (first.empty()) first = got;
        ASSERT_EQ(first, got) << to_string(d) << " threads=" << threads << " block=" << block;
      }
  }
}

}  // namespace
}  // namespace gpurand::test
