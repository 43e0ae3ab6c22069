// One typed suite per engine (Philox4_32_10, XORWOW, MRG32k3a): deterministic,
// discard(n) equals n draws, subsequences do not overlap, and a request split
// into calls continues the stream. Plus Philox's published known answers,
// checked by every CPU path gpurand has.

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/simd.hpp"
#include "curand_ref.hpp"
#include "gpurand/audit.hpp"
#include "gpurand/detail/bulk.cuh"
#include "gpurand/philox.hpp"
#include "philox_kat.hpp"

namespace gpurand::test {
namespace {

/// The typed suite runs for every engine of the table (gpurand/detail/table.hpp).
template <class List>
struct gtest_types;
template <class... C>
struct gtest_types<detail::type_list<C...>> {
  using type = ::testing::Types<C...>;
};
using engines = gtest_types<detail::engine_list>::type;

template <class T>
class Engine : public ::testing::Test {
 protected:
  static constexpr engine E = T::value;
  static std::vector<std::uint32_t> grid(std::uint64_t seed, std::uint64_t offset,
                                         std::uint64_t first, std::uint64_t threads,
                                         std::uint64_t k) {
    const auto bytes = cpu_grid(E, dist::u32, seed, offset, first, threads, k);
    std::vector<std::uint32_t> out(threads * k);
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
};

class names {
 public:
  template <class T>
  static std::string GetName(int) {
    return to_string(T::value);
  }
};
TYPED_TEST_SUITE(Engine, engines, names);

TYPED_TEST(Engine, IsDeterministicAndSeedSensitive) {
  const auto a = TestFixture::grid(7, 0, 0, 16, 32), b = TestFixture::grid(7, 0, 0, 16, 32);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, TestFixture::grid(8, 0, 0, 16, 32));
}

TYPED_TEST(Engine, DiscardEqualsDrawing) {
  for (unsigned long long n : {1ull, 2ull, 3ull, 4ull, 5ull, 100ull}) {
    basic_stream<TestFixture::E> a(3, 9, 0), b(3, 9, 0);
    a.discard(n);
    for (unsigned long long i = 0; i < n; ++i) (void)b.next();
    for (int i = 0; i < 8; ++i) ASSERT_EQ(a.next(), b.next()) << "n=" << n;
  }
}

TYPED_TEST(Engine, SubsequencesDoNotOverlap) {
  // 256 subsequences x 512 draws, audited: no duplicate, no shifted copy.
  const auto v = TestFixture::grid(11, 0, 0, 256, 512);
  const auto r = audit::run(v.data(), audit::layout{4, 64, 512, audit::dtype::u32});
  EXPECT_TRUE(r.clean()) << audit::format(r);
}

TYPED_TEST(Engine, SplitRequestContinuesTheStream) {
  const auto whole = TestFixture::grid(5, 2, 0, 8, 40);
  // The same threads in two calls: draws [0, 16) then [16, 40), and threads
  // split across calls too.
  const auto head = TestFixture::grid(5, 2, 0, 8, 16);
  const auto tail_a = TestFixture::grid(5, 2 + 16, 0, 3, 24);
  const auto tail_b = TestFixture::grid(5, 2 + 16, 3, 5, 24);
  for (std::uint64_t g = 0; g < 8; ++g) {
    for (std::uint64_t k = 0; k < 16; ++k) ASSERT_EQ(whole[g * 40 + k], head[g * 16 + k]);
    const auto& tail = g < 3 ? tail_a : tail_b;
    const std::uint64_t t = g < 3 ? g : g - 3;
    for (std::uint64_t k = 0; k < 24; ++k) ASSERT_EQ(whole[g * 40 + 16 + k], tail[t * 24 + k]);
  }
}

TYPED_TEST(Engine, MatchesCurandInitAndCurand) {
  const auto v = TestFixture::grid(0xabcdef, 13, 100, 4, 20);
  for (std::uint64_t t = 0; t < 4; ++t) {
    const auto want = ref_stream(TestFixture::E, dist::u32, 0xabcdef, 100 + t, 13, 20);
    EXPECT_EQ(0, std::memcmp(v.data() + t * 20, want.data(), want.size()));
  }
}

struct kat {
  uint4 ctr;
  uint2 key;
  uint4 out;
};

std::vector<kat> read_kats() {
  std::vector<kat> v;
  for (const philox_kat& k : read_philox_kats()) {
    const philox_counter& c = k.ctr;
    const philox_counter& o = k.out;
    v.push_back({make_uint4(c.v[0], c.v[1], c.v[2], c.v[3]), make_uint2(k.key.v[0], k.key.v[1]),
                 make_uint4(o.v[0], o.v[1], o.v[2], o.v[3])});
  }
  return v;
}

TEST(PhiloxKnownAnswers, CurandsFunctionIsStandardPhilox4x32_10) {
  for (const kat& k : read_kats()) {
    const uint4 r = curand_Philox4x32_10(k.ctr, k.key);
    EXPECT_EQ(0, std::memcmp(&r, &k.out, 16));
  }
}

philox_counter to_counter(uint4 c) { return philox_counter{{c.x, c.y, c.z, c.w}}; }

TEST(PhiloxKnownAnswers, PublicFunctionReproducesThem) {
  for (const kat& k : read_kats()) {
    const philox_counter r = philox4x32_10(to_counter(k.ctr), philox_key{{k.key.x, k.key.y}});
    EXPECT_EQ(0, std::memcmp(r.v, &k.out, 16));
    // The same vector through the stream helpers: counter = (block, subsequence), key = seed.
    const std::uint64_t block = k.ctr.x | (std::uint64_t{k.ctr.y} << 32);
    const std::uint64_t sub = k.ctr.z | (std::uint64_t{k.ctr.w} << 32);
    const std::uint64_t seed = k.key.x | (std::uint64_t{k.key.y} << 32);
    const philox_counter b = philox_block(seed, sub, block);
    EXPECT_EQ(0, std::memcmp(b.v, &k.out, 16)) << "philox_block";
  }
}

TEST(Philox, PublicFunctionMatchesCurandOnRandomInputs) {
  std::mt19937_64 rng(20261202);
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t a = rng(), b = rng(), c = rng();
    const uint4 ctr = make_uint4(static_cast<unsigned>(a), static_cast<unsigned>(a >> 32),
                                 static_cast<unsigned>(b), static_cast<unsigned>(b >> 32));
    const uint2 key = make_uint2(static_cast<unsigned>(c), static_cast<unsigned>(c >> 32));
    const uint4 want = curand_Philox4x32_10(ctr, key);
    const philox_counter got = philox4x32_10(to_counter(ctr), philox_key{{key.x, key.y}});
    ASSERT_EQ(0, std::memcmp(got.v, &want, 16)) << "input " << i;
  }
}

TEST(Philox, BlockAndDraw4FollowCurandInitAndCurand4) {
  // philox_block(seed, sub, b) is the 4 draws at offset 4b of curand_init(seed, sub, 0);
  // philox_draw4(seed, sub, o) is curand4 right after curand_init(seed, sub, o), at every
  // lane shift, for random and extreme seeds, subsequences and offsets.
  constexpr std::uint64_t max64 = ~std::uint64_t{0};
  std::mt19937_64 rng(7);
  std::vector<std::uint64_t> values = {0, 1, 2, 3, 4, 5, max64, max64 - 1, max64 - 3, max64 - 4};
  for (int i = 0; i < 40; ++i) values.push_back(rng());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::uint64_t seed = values[i], sub = values[(i * 7 + 3) % values.size()];
    for (std::uint64_t offset : {values[(i * 13 + 5) % values.size()], std::uint64_t{i}}) {
      curandStatePhilox4_32_10_t s;
      curand_init(seed, sub, offset, &s);
      const uint4 want = curand4(&s);
      const philox_counter got = philox_draw4(seed, sub, offset);
      ASSERT_EQ(0, std::memcmp(got.v, &want, 16))
          << "seed=" << seed << " sub=" << sub << " offset=" << offset;
      if (offset % 4 == 0) {
        const philox_counter blk = philox_block(seed, sub, offset / 4);
        ASSERT_EQ(0, std::memcmp(blk.v, &want, 16)) << "philox_block";
      }
    }
  }
}

TEST(PhiloxKnownAnswers, EveryCpuPathReproducesThemWhereTheCounterIsReachable) {
  // curand_init reaches counters whose block index is below 2^62.
  int checked = 0;
  for (const kat& k : read_kats()) {
    const std::uint64_t block = k.ctr.x | (std::uint64_t{k.ctr.y} << 32);
    const std::uint64_t sub = k.ctr.z | (std::uint64_t{k.ctr.w} << 32);
    const std::uint64_t seed = k.key.x | (std::uint64_t{k.key.y} << 32);
    if (block >= (std::uint64_t{1} << 62)) continue;
    ++checked;
    std::uint32_t v[4];
    detail::bulk_group<dist::u32>(seed, block * 4, sub, {}, v);
    EXPECT_EQ(0, std::memcmp(v, &k.out, 16)) << "shared body";
    const detail::simd_level saved = detail::simd_active();
    for (auto level :
         {detail::simd_level::scalar, detail::simd_level::avx2, detail::simd_level::avx512}) {
      if (level > detail::simd_detected()) continue;
      detail::simd_force(level);
      std::uint32_t s[4];
      detail::philox_u32_groups(seed, block * 4, sub, 1, s);
      EXPECT_EQ(0, std::memcmp(s, &k.out, 16)) << detail::to_string(level);
    }
    detail::simd_force(saved);
  }
  EXPECT_GE(checked, 1);
}

}  // namespace
}  // namespace gpurand::test
