// The toolkit-free Philox stream (gpurand/detail/philox_stream.hpp), which the CPU writer runs in
// every build, against cuRAND's curandStatePhilox4_32_10_t and its device functions compiled for
// the host: every method, bit for bit, from many (seed, subsequence, offset), over random
// interleavings of the calls (so the Box-Muller caches, the position inside a block and
// skip-aheads that cross blocks and carry into the subsequence words are all exercised).

#include "gpurand/detail/philox_stream.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bits.hpp"
#include "curand_ref.hpp"
#include "gpurand/detail/bulk.cuh"
#include "gpurand/device.cuh"  // cuRAND's device functions, host-callable

namespace gpurand::detail {
namespace {

using test::bits;

constexpr std::uint64_t max64 = ~std::uint64_t{0};

/// Starting points: small and edge values of each, and the corners where the 128-bit counter
/// carries (a block count near 2^64, a subsequence near 2^64).
std::vector<std::uint64_t> edge_values() {
  return {0,
          1,
          2,
          3,
          4,
          5,
          7,
          0xFFFFFFFF,
          0x100000000,
          0x100000003,
          0x3FFFFFFFFFFFFFFFull,
          0x4000000000000001ull,
          max64 - 4,
          max64 - 3,
          max64 - 2,
          max64 - 1,
          max64};
}

enum class op {
  next,
  uniform,
  normal,
  uniform_double,
  normal_double,
  normal2,
  next4,
  uniform2_double,
  normal2_double,
  normal_portable,
  normal_portable_double,
  skipahead_small,
  skipahead_huge,
  skipahead_sequence,
  count
};

/// Applies `o` to both streams and compares the results; returns a description on mismatch.
std::string apply(op o, plain_philox_stream& p, philox_stream& c, std::mt19937_64& rng) {
  std::ostringstream why;
  auto cmp = [&](const char* what, std::uint64_t got, std::uint64_t want) {
    if (got != want) why << what << ": got bits " << got << ", cuRAND " << want;
  };
  switch (o) {
    case op::next: cmp("curand", p.next(), curand(&c.state())); break;
    case op::uniform:
      cmp("curand_uniform", bits(p.uniform()), bits(curand_uniform(&c.state())));
      break;
    case op::normal: cmp("curand_normal", bits(p.normal()), bits(curand_normal(&c.state()))); break;
    case op::uniform_double:
      cmp("curand_uniform_double", bits(p.uniform_double()),
          bits(curand_uniform_double(&c.state())));
      break;
    case op::normal_double:
      cmp("curand_normal_double", bits(p.normal_double()), bits(curand_normal_double(&c.state())));
      break;
    case op::normal2: {
      const float_pair a = p.normal2();
      const float2 b = curand_normal2(&c.state());
      cmp("curand_normal2.x", bits(a.x), bits(b.x));
      cmp("curand_normal2.y", bits(a.y), bits(b.y));
      break;
    }
    case op::next4: {
      const philox_counter a = p.next4();
      const uint4 b = curand4(&c.state());
      const unsigned want[4] = {b.x, b.y, b.z, b.w};
      for (int i = 0; i < 4; ++i) cmp("curand4", a.v[i], want[i]);
      break;
    }
    case op::uniform2_double: {
      const double_pair a = p.uniform2_double();
      const double2 b = curand_uniform2_double(&c.state());
      cmp("curand_uniform2_double.x", bits(a.x), bits(b.x));
      cmp("curand_uniform2_double.y", bits(a.y), bits(b.y));
      break;
    }
    case op::normal2_double: {
      const double_pair a = p.normal2_double();
      const double2 b = curand_normal2_double(&c.state());
      cmp("curand_normal2_double.x", bits(a.x), bits(b.x));
      cmp("curand_normal2_double.y", bits(a.y), bits(b.y));
      break;
    }
    // gpurand's portable normals: basic_stream's, over cuRAND's curand().
    case op::normal_portable:
      cmp("normal_portable", bits(p.normal_portable()), bits(c.normal_portable()));
      break;
    case op::normal_portable_double:
      cmp("normal_portable_double", bits(p.normal_portable_double()),
          bits(c.normal_portable_double()));
      break;
    case op::skipahead_small: {
      const std::uint64_t n = rng() % 11;
      p.skipahead(n);
      skipahead(n, &c.state());
      break;
    }
    case op::skipahead_huge: {  // large enough that a few of them carry the block count
      const std::uint64_t n = max64 - rng() % 8;
      p.discard(n);
      skipahead(n, &c.state());
      break;
    }
    case op::skipahead_sequence: {
      const std::uint64_t n = rng() % 2 ? rng() : max64 - rng() % 3;
      p.skipahead_sequence(n);
      skipahead_sequence(n, &c.state());
      break;
    }
    case op::count: break;
  }
  return why.str();
}

/// Both streams from the same curand_init, then `steps` random calls, compared one by one.
void check_walk(std::uint64_t seed, std::uint64_t sub, std::uint64_t offset, int steps,
                std::mt19937_64& rng, bool allow_skips = true) {
  plain_philox_stream p(seed, sub, offset);
  philox_stream c(seed, sub, offset);
  std::string trail;
  for (int i = 0; i < steps; ++i) {
    op o = static_cast<op>(rng() % static_cast<unsigned>(op::count));
    if (!allow_skips && o >= op::skipahead_small) o = op::next;
    trail += std::to_string(static_cast<int>(o)) + " ";
    const std::string why = apply(o, p, c, rng);
    ASSERT_TRUE(why.empty()) << why << " (seed " << seed << ", subsequence " << sub << ", offset "
                             << offset << ", ops " << trail << ")";
  }
  // The position agrees too: the next draws are the same.
  for (int i = 0; i < 5; ++i) ASSERT_EQ(p.next(), curand(&c.state())) << "after ops " << trail;
}

TEST(PhiloxStream, CurandInitAndCurandAtEdgeStarts) {
  std::mt19937_64 rng(1);
  for (std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0xFFFFFFFF},
                             std::uint64_t{0x123456789ABCDEFull}, max64})
    for (std::uint64_t sub : edge_values())
      for (std::uint64_t offset : edge_values()) {
        plain_philox_stream p(seed, sub, offset);
        curandStatePhilox4_32_10_t c;
        curand_init(seed, sub, offset, &c);
        for (int i = 0; i < 9; ++i)  // crosses at least two block boundaries
          ASSERT_EQ(p.next(), curand(&c)) << "draw " << i << " of seed " << seed << ", subsequence "
                                          << sub << ", offset " << offset;
      }
}

TEST(PhiloxStream, EveryMethodMatchesCurandOverRandomInterleavings) {
  std::mt19937_64 rng(20261202);
  const std::vector<std::uint64_t> edges = edge_values();
  for (int walk = 0; walk < 3000; ++walk) {
    // Half the starts from the edge values, half fully random.
    const bool edge = walk % 2 == 0;
    const std::uint64_t seed = rng();
    const std::uint64_t sub = edge ? edges[rng() % edges.size()] : rng();
    const std::uint64_t offset = edge ? edges[rng() % edges.size()] : rng() >> (rng() % 64);
    check_walk(seed, sub, offset, 40, rng);
    if (HasFatalFailure()) return;
  }
}

TEST(PhiloxStream, CachedNormalsSurviveOtherCalls) {
  // A pair's second value stays cached across draws of other kinds and skip-aheads, as in
  // cuRAND: normal, then anything, then normal returns the cached value (drawing nothing).
  std::mt19937_64 rng(5);
  for (std::uint64_t offset : edge_values()) {
    plain_philox_stream p(9, 4, offset);
    philox_stream c(9, 4, offset);
    for (op o : {op::normal, op::normal_double, op::normal_portable, op::normal_portable_double,
                 op::next, op::uniform_double, op::skipahead_small, op::normal, op::normal_double,
                 op::next4, op::normal_portable, op::normal_portable_double, op::normal,
                 op::skipahead_huge, op::normal, op::normal_double, op::normal_double, op::next}) {
      const std::string why = apply(o, p, c, rng);
      ASSERT_TRUE(why.empty()) << why << " at offset " << offset;
    }
  }
}

TEST(PhiloxStream, LongRunsOfOneKindMatchTheReference) {
  // The writer's body over this stream, for every distribution it has, against
  // tests/curand_ref.hpp (curand_init, then k calls of cuRAND's function).
  for_each_dist([](auto dc) {
    constexpr dist D = decltype(dc)::value;
    if constexpr (plain_philox_has<D>) {
      for (std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{3}, max64 - 4000}) {
        const std::uint64_t k = 1001;
        const std::vector<unsigned char> want =
            test::ref_stream(engine::philox4_32_10, D, 77, 5, offset, k);
        std::vector<typename bulk_traits<D>::value> got(k);
        thread_stream_body<engine::philox4_32_10, D, plain_philox_stream>(
            77, offset, 5, k, 1, got.data(), make_params<D>(grid_request{}));
        ASSERT_EQ(want.size(), got.size() * sizeof got[0]);
        ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size()))
            << to_string(D) << " at offset " << offset;
      }
    }
  });
}

TEST(PhiloxStream, DiscardEqualsDrawingAndIsAnEngine) {
  plain_philox_stream a(3, 1, 2), b(3, 1, 2);
  for (int i = 0; i < 13; ++i) (void)a();
  b.discard(13);
  EXPECT_EQ(a.next(), b.next());
  std::uniform_int_distribution<int> die(1, 6);  // usable with <random>
  const int v = die(a);
  EXPECT_GE(v, 1);
  EXPECT_LE(v, 6);
}

}  // namespace
}  // namespace gpurand::detail
