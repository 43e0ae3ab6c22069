// Bit-exactness tests of the vectorised Philox4x32-10 kernels (src/backend/cpu/simd.hpp) against
// cuRAND's own device functions, compiled for the host. Every instruction-set level the CPU
// supports is checked; the others are skipped with a reason.
//
// Needs -I<cuda>/include (curand_kernel.h); no CUDA runtime or GPU is used.

// cuRAND's device functions are header-only; declaring them host-callable lets g++ compile them.
#define QUALIFIERS static __forceinline__ __host__ __device__
#include <curand_kernel.h>
// (curand_kernel.h defines float4/uint4 and brings in curand_uniform.h: _curand_uniform.)

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "backend/cpu/simd.hpp"

namespace gpurand::detail {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

const std::uint64_t kSeeds[] = {0, 1, kMax, 0x123456789abcdefULL};
const std::uint64_t kFirstSubs[] = {0, 1, kMax - 99};  // the last one wraps around 2^64
const std::uint64_t kOffsets[] = {0, 1, 2, 3, 4, 5, 7, 1000, kMax - 7, kMax - 4};

// Elements past the end of the output that the kernels must leave alone.
constexpr std::size_t kGuard = 64;
constexpr std::uint32_t kCanary = 0xDEADBEEFu;

/// cuRAND reference: lane l of curand4 / curand_uniform4 after curand_init(seed, first + j,
/// offset), at element 4 * j + l.
std::vector<std::uint32_t> reference_u32(std::uint64_t seed, std::uint64_t offset,
                                         std::uint64_t first_sub, std::size_t groups) {
  std::vector<std::uint32_t> out(4 * groups);
  for (std::size_t j = 0; j < groups; ++j) {
    curandStatePhilox4_32_10_t state;
    curand_init(seed, first_sub + j, offset, &state);
    const uint4 r = curand4(&state);
    out[4 * j + 0] = r.x;
    out[4 * j + 1] = r.y;
    out[4 * j + 2] = r.z;
    out[4 * j + 3] = r.w;
  }
  return out;
}

std::vector<std::uint32_t> reference_uniform_bits(std::uint64_t seed, std::uint64_t offset,
                                                  std::uint64_t first_sub, std::size_t groups) {
  std::vector<std::uint32_t> out(4 * groups);
  for (std::size_t j = 0; j < groups; ++j) {
    curandStatePhilox4_32_10_t state;
    curand_init(seed, first_sub + j, offset, &state);
    const float4 f = curand_uniform4(&state);
    const float lanes[4] = {f.x, f.y, f.z, f.w};
    std::memcpy(&out[4 * j], lanes, sizeof lanes);
  }
  return out;
}

/// Compares the first `count` 32-bit words of `got` with `want` (memcmp) and checks that the
/// kGuard words after them still hold kCanary.
::testing::AssertionResult same_bits(const std::uint32_t* got, const std::uint32_t* want,
                                     std::size_t count, const std::string& what) {
  if (std::memcmp(got, want, count * sizeof(std::uint32_t)) != 0) {
    std::size_t i = 0;
    while (got[i] == want[i]) ++i;
    return ::testing::AssertionFailure()
           << what << ": first difference at element " << i << " (group " << i / 4 << ", lane "
           << i % 4 << "): got 0x" << std::hex << got[i] << ", cuRAND 0x" << want[i];
  }
  for (std::size_t i = count; i < count + kGuard; ++i) {
    if (got[i] != kCanary) {
      return ::testing::AssertionFailure() << what << ": wrote past the end, element " << i;
    }
  }
  return ::testing::AssertionSuccess();
}

std::string describe(std::uint64_t seed, std::uint64_t offset, std::uint64_t first_sub,
                     std::size_t groups, std::size_t misalign) {
  return "seed=" + std::to_string(seed) + " offset=" + std::to_string(offset) +
         " first_sub=" + std::to_string(first_sub) + " groups=" + std::to_string(groups) +
         " misalign=" + std::to_string(misalign) + " level=" + to_string(simd_active());
}

/// First element of `base[0..16)` whose address is `phase` mod 64 (phase a multiple of 4).
template <typename T>
T* at_phase(T* base, std::uintptr_t phase) {
  while (reinterpret_cast<std::uintptr_t>(base) % 64 != phase) ++base;
  return base;
}

/// Fixture parameterised by the level under test; forces it for the test's duration.
class CpuSimd : public ::testing::TestWithParam<simd_level> {
 protected:
  void SetUp() override {
    if (static_cast<int>(GetParam()) > static_cast<int>(simd_detected())) {
      GTEST_SKIP() << "this CPU does not support " << to_string(GetParam())
                   << " (best: " << to_string(simd_detected()) << ")";
    }
    simd_force(GetParam());
    ASSERT_EQ(simd_active(), GetParam());
  }
  void TearDown() override { simd_force(simd_detected()); }
};

/// Group counts: every count up to 40 covers all tail lengths of the 4/8-wide kernels and both
/// the one-register-set and multi-set loops; 1000 runs the main loops many times.
std::vector<std::size_t> group_counts() {
  std::vector<std::size_t> counts;
  for (std::size_t g = 1; g <= 40; ++g) counts.push_back(g);
  counts.push_back(1000);
  return counts;
}

TEST_P(CpuSimd, U32MatchesCurand) {
  const std::vector<std::size_t> counts = group_counts();
  for (std::uint64_t seed : kSeeds) {
    for (std::uint64_t first_sub : kFirstSubs) {
      for (std::uint64_t offset : kOffsets) {
        // Group j does not depend on how many groups a call makes, so one reference of the
        // largest count serves every count.
        const std::vector<std::uint32_t> want = reference_u32(seed, offset, first_sub, 1000);
        for (std::size_t groups : counts) {
          // Also write through a pointer that is only 4-byte aligned.
          for (std::size_t misalign : {0, 1}) {
            std::vector<std::uint32_t> buf(misalign + 4 * groups + kGuard, kCanary);
            philox_u32_groups(seed, offset, first_sub, groups, buf.data() + misalign);
            ASSERT_TRUE(same_bits(buf.data() + misalign, want.data(), 4 * groups,
                                  describe(seed, offset, first_sub, groups, misalign)));
          }
        }
      }
    }
  }
}

TEST_P(CpuSimd, UniformMatchesCurand) {
  const std::vector<std::size_t> counts = group_counts();
  for (std::uint64_t seed : kSeeds) {
    for (std::uint64_t first_sub : kFirstSubs) {
      for (std::uint64_t offset : kOffsets) {
        const std::vector<std::uint32_t> want =
            reference_uniform_bits(seed, offset, first_sub, 1000);
        for (std::size_t groups : counts) {
          for (std::size_t misalign : {0, 1}) {
            std::vector<float> buf(misalign + 4 * groups + kGuard);
            // Fill with the canary bit pattern so same_bits can see stray writes.
            std::vector<std::uint32_t> canary(buf.size(), kCanary);
            std::memcpy(buf.data(), canary.data(), buf.size() * sizeof(float));
            philox_uniform_groups(seed, offset, first_sub, groups, buf.data() + misalign);
            std::vector<std::uint32_t> got(buf.size() - misalign);
            std::memcpy(got.data(), buf.data() + misalign, got.size() * sizeof(float));
            ASSERT_TRUE(same_bits(got.data(), want.data(), 4 * groups,
                                  describe(seed, offset, first_sub, groups, misalign)));
          }
        }
      }
    }
  }
}

TEST_P(CpuSimd, ZeroGroupsWritesNothing) {
  std::vector<std::uint32_t> u(kGuard, kCanary);
  philox_u32_groups(1, 0, 0, 0, u.data());
  std::vector<float> f(kGuard, 0.5f);
  philox_uniform_groups(1, 3, 0, 0, f.data());
  for (std::size_t i = 0; i < kGuard; ++i) {
    ASSERT_EQ(u[i], kCanary);
    ASSERT_EQ(f[i], 0.5f);
  }
}

/// Calls large enough (>= 8 MiB) to take the streaming-store path, at a 64-byte-aligned pointer,
/// at one that needs an unaligned head (16 mod 64) and at one that cannot stream (4 mod 16).
TEST_P(CpuSimd, LargeCallsMatchCurand) {
  constexpr std::size_t kGroups = (std::size_t{8} << 20) / 16 + 13;
  const std::uint64_t seed = 0x123456789abcdefULL;
  const std::uint64_t first_sub = kMax - 1000;  // wraps mid-call
  for (std::uint64_t offset : {std::uint64_t{4}, std::uint64_t{7}}) {
    const std::vector<std::uint32_t> want_u = reference_u32(seed, offset, first_sub, kGroups);
    const std::vector<std::uint32_t> want_f =
        reference_uniform_bits(seed, offset, first_sub, kGroups);
    for (std::uintptr_t phase : {0, 16, 4}) {
      std::vector<std::uint32_t> u(16 + 4 * kGroups + kGuard, kCanary);
      std::uint32_t* p = at_phase(u.data(), phase);
      philox_u32_groups(seed, offset, first_sub, kGroups, p);
      ASSERT_TRUE(same_bits(p, want_u.data(), 4 * kGroups,
                            "u32 " + describe(seed, offset, first_sub, kGroups, phase)));

      std::vector<float> fb(u.size());
      float* f = at_phase(fb.data(), phase);
      const std::vector<std::uint32_t> canary(4 * kGroups + kGuard, kCanary);
      std::memcpy(f, canary.data(), canary.size() * sizeof(float));
      philox_uniform_groups(seed, offset, first_sub, kGroups, f);
      std::vector<std::uint32_t> got(canary.size());
      std::memcpy(got.data(), f, got.size() * sizeof(float));
      ASSERT_TRUE(same_bits(got.data(), want_f.data(), 4 * kGroups,
                            "uniform " + describe(seed, offset, first_sub, kGroups, phase)));
    }
  }
}

/// The unsigned-to-float conversion (hand-built on AVX2) against cuRAND's _curand_uniform:
/// every 4099th uint32 (an odd stride, so all low-bit patterns and rounding ties occur) plus
/// dense windows around every power of two, where the rounding step changes.
TEST_P(CpuSimd, UniformFromU32MatchesCurand) {
  std::vector<std::uint32_t> in;
  for (std::uint64_t x = 0; x <= 0xFFFFFFFFu; x += 4099)
    in.push_back(static_cast<std::uint32_t>(x));
  for (int k = 0; k <= 32; ++k) {
    const std::int64_t centre = std::int64_t{1} << k;
    for (std::int64_t d = -300; d <= 300; ++d) {
      const std::int64_t x = centre + d;
      if (x >= 0 && x <= 0xFFFFFFFFLL) in.push_back(static_cast<std::uint32_t>(x));
    }
  }
  std::vector<std::uint32_t> want(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const float f = _curand_uniform(in[i]);
    std::memcpy(&want[i], &f, sizeof f);
  }
  // Several lengths so every tail length of the 8/16-wide loops is used.
  for (std::size_t n :
       {in.size(), in.size() - 1, std::size_t{17}, std::size_t{7}, std::size_t{1}}) {
    std::vector<float> out(n + kGuard);
    std::vector<std::uint32_t> canary(out.size(), kCanary);
    std::memcpy(out.data(), canary.data(), out.size() * sizeof(float));
    uniform_from_u32(in.data(), n, out.data());
    std::vector<std::uint32_t> got(out.size());
    std::memcpy(got.data(), out.data(), got.size() * sizeof(float));
    ASSERT_TRUE(same_bits(got.data(), want.data(), n,
                          "n=" + std::to_string(n) + " level=" + to_string(simd_active())));
  }
}

/// Worker threads fill disjoint chunks of one buffer; the result must equal one big call.
TEST_P(CpuSimd, ConcurrentChunksMatchCurand) {
  constexpr std::size_t kChunk = 997;
  constexpr int kThreads = 4;
  const std::uint64_t seed = 42, offset = 9, first_sub = 12345;
  std::vector<float> out(4 * kChunk * kThreads);
  std::vector<std::thread> workers;
  const simd_level level = simd_active();
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      philox_uniform_groups(seed, offset, first_sub + t * kChunk, kChunk,
                            out.data() + 4 * kChunk * t);
    });
  }
  for (std::thread& w : workers) w.join();
  ASSERT_EQ(simd_active(), level);
  const std::vector<std::uint32_t> want =
      reference_uniform_bits(seed, offset, first_sub, kChunk * kThreads);
  std::vector<std::uint32_t> got(out.size() + kGuard, kCanary);
  std::memcpy(got.data(), out.data(), out.size() * sizeof(float));
  ASSERT_TRUE(same_bits(got.data(), want.data(), out.size(), "threads"));
}

INSTANTIATE_TEST_SUITE_P(Levels, CpuSimd,
                         ::testing::Values(simd_level::scalar, simd_level::avx2,
                                           simd_level::avx512),
                         [](const ::testing::TestParamInfo<simd_level>& info) {
                           return std::string(to_string(info.param));
                         });

TEST(CpuSimdDispatch, ForceClampsToDetected) {
  const simd_level detected = simd_detected();
  EXPECT_EQ(simd_detected(), detected);  // cached, stable
  for (simd_level level : {simd_level::scalar, simd_level::avx2, simd_level::avx512}) {
    simd_force(level);
    const simd_level expected =
        static_cast<int>(level) > static_cast<int>(detected) ? detected : level;
    EXPECT_EQ(simd_active(), expected) << "forced " << to_string(level);
    EXPECT_EQ(simd_detected(), detected);  // forcing never changes what was detected
  }
  simd_force(detected);
  EXPECT_EQ(simd_active(), detected);
}

TEST(CpuSimdDispatch, DetectedLevelIsSupported) {
  const simd_level detected = simd_detected();
#if defined(__x86_64__)
  if (detected == simd_level::avx512) {
    EXPECT_TRUE(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"));
  }
  if (detected != simd_level::scalar) {
    EXPECT_TRUE(__builtin_cpu_supports("avx2"));
  }
  if (__builtin_cpu_supports("avx2")) {
    EXPECT_NE(detected, simd_level::scalar);
  }
#else
  EXPECT_EQ(detected, simd_level::scalar);
#endif
}

TEST(CpuSimdDispatch, LevelNames) {
  EXPECT_STREQ(to_string(simd_level::scalar), "scalar");
  EXPECT_STREQ(to_string(simd_level::avx2), "avx2");
  EXPECT_STREQ(to_string(simd_level::avx512), "avx512");
}

}  // namespace
}  // namespace gpurand::detail
