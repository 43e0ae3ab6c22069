// Exactness of the bounded-integer bodies (gpurand/detail/integers.hpp): the same templates on
// 8- and 16-bit words, with a draw source that enumerates every input, give every output value
// exactly floor(2^w / r) accepted preimages for every tested range; the 32- and 64-bit words
// agree with a direct wide-integer evaluation of the definition.

#include "gpurand/detail/integers.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace {

using gpurand::detail::integer_group;
using gpurand::detail::lemire;
using gpurand::detail::lemire_wide;

// Feeds `words` (in order), then all-ones words, and reports whether the body asked for more (a
// rejection).
struct scripted_draws {
  const std::uint32_t* words;
  int n;
  int used = 0;
  bool asked_more = false;
  std::uint32_t operator()() {
    if (used < n) return words[used++];
    asked_more = true;
    return 0xFFFFFFFFu;  // all ones: accepted by every range, so the body returns
  }
};

template <class W>
void expect_exact(W range, int words_per_try, bool wide) {
  const int bits = 8 * sizeof(W) * words_per_try;  // input bits per try
  const std::uint64_t inputs = 1ull << bits;
  std::vector<std::uint32_t> count(range, 0);
  std::uint64_t rejected = 0;
  for (std::uint64_t x = 0; x < inputs; ++x) {
    std::uint32_t w[2];
    const int wb = 8 * sizeof(W);
    if (words_per_try == 2) {
      w[0] = static_cast<std::uint32_t>(x >> wb);  // high word first
      w[1] = static_cast<std::uint32_t>(x & ((1u << wb) - 1));
    } else {
      w[0] = static_cast<std::uint32_t>(x);
    }
    scripted_draws d{w, words_per_try};
    const W v = wide ? lemire_wide<W>(d, range) : lemire<W>(d, range);
    if (d.asked_more) {
      ++rejected;
      continue;
    }
    ASSERT_LT(v, range);
    ++count[v];
  }
  const std::uint64_t each = inputs / range;
  for (W v = 0; v < range; ++v) ASSERT_EQ(count[v], each) << "range " << +range << " value " << +v;
  EXPECT_EQ(rejected, inputs % range) << "range " << +range;
}

TEST(Integers, Lemire16BitExactForEveryInputAtManyRanges) {
  std::vector<std::uint16_t> ranges;
  for (unsigned r = 1; r <= 600; ++r) ranges.push_back(static_cast<std::uint16_t>(r));
  for (unsigned r : {3u << 14, (1u << 15) - 1, 1u << 15, (1u << 15) + 1, 43690u, 65535u, 65534u})
    ranges.push_back(static_cast<std::uint16_t>(r));
  std::mt19937 rng(1);
  for (int i = 0; i < 100; ++i) ranges.push_back(static_cast<std::uint16_t>(1 + rng() % 65535));
  for (const auto r : ranges) expect_exact<std::uint16_t>(r, 1, false);
}

TEST(Integers, LemireWide8BitExactForEveryInputAndRange) {
  for (unsigned r = 1; r <= 255; ++r) {
    expect_exact<std::uint8_t>(static_cast<std::uint8_t>(r), 2, true);
    expect_exact<std::uint8_t>(static_cast<std::uint8_t>(r), 1, false);
  }
}

// The definition evaluated directly with wide integers: value and acceptance of one try.
template <class W, class Wide>
bool reference_try(Wide x, W range, int bits, W* value) {
  const unsigned __int128 m = static_cast<unsigned __int128>(x) * range;
  const unsigned __int128 mod = static_cast<unsigned __int128>(1) << bits;
  const unsigned __int128 low = bits == 128 ? m : (m & (mod - 1));
  const unsigned __int128 threshold =
      bits == 128 ? (static_cast<unsigned __int128>(0) - range) % range : mod % range;
  *value = static_cast<W>(bits == 128 ? 0 : (m >> bits));
  return low >= threshold;
}

TEST(Integers, Words32And64FollowTheDefinition) {
  std::mt19937 rng(42);
  const std::uint32_t ranges32[] = {1u, 2u, 3u, 3u << 30, (1u << 31) + 1, 0xFFFFFFFFu, 1000000007u};
  for (const std::uint32_t r : ranges32) {
    for (int i = 0; i < 200000; ++i) {
      const std::uint32_t x = rng();
      std::uint32_t want;
      const bool ok = reference_try<std::uint32_t, std::uint64_t>(x, r, 32, &want);
      scripted_draws d{&x, 1};
      const std::uint32_t got = lemire<std::uint32_t>(d, r);
      ASSERT_EQ(d.asked_more, !ok) << r << " " << x;
      if (ok) {
        ASSERT_EQ(got, want) << r << " " << x;
      }
      // Wide form: x_hi = x, x_lo = rng(); value = top 32 bits of the 96-bit product.
      const std::uint32_t w[2] = {x, static_cast<std::uint32_t>(rng())};
      scripted_draws d2{w, 2};
      const std::uint64_t xw = (static_cast<std::uint64_t>(w[0]) << 32) | w[1];
      const unsigned __int128 m = static_cast<unsigned __int128>(xw) * r;
      ASSERT_EQ(lemire_wide<std::uint32_t>(d2, r), static_cast<std::uint32_t>(m >> 64));
    }
  }
  // A wide try that lands below the threshold is rejected (constructed: x = 0 gives m = 0).
  {
    const std::uint32_t zeros[2] = {0, 0};
    scripted_draws d{zeros, 2};
    lemire_wide<std::uint32_t>(d, 3u << 30);  // 2^64 mod 3*2^30 = 2^30 > 0: rejected
    EXPECT_TRUE(d.asked_more);
  }
  const std::uint64_t ranges64[] = {
      1ull, 3ull, 3ull << 62, (1ull << 63) + 1, ~0ull, 1000000000039ull};
  std::mt19937_64 rng64(7);
  for (const std::uint64_t r : ranges64) {
    for (int i = 0; i < 200000; ++i) {
      const std::uint64_t x = rng64();
      std::uint64_t want;
      const bool ok = reference_try<std::uint64_t, std::uint64_t>(x, r, 64, &want);
      const std::uint32_t w[2] = {static_cast<std::uint32_t>(x >> 32),
                                  static_cast<std::uint32_t>(x)};
      scripted_draws d{w, 2};
      const std::uint64_t got = lemire<std::uint64_t>(d, r);
      ASSERT_EQ(d.asked_more, !ok) << r << " " << x;
      if (ok) {
        ASSERT_EQ(got, want);
      }
    }
  }
}

TEST(Integers, ModWideMatchesWideIntegerModulo) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t hi = rng(), lo = rng();
    const std::uint64_t r = (i & 1) ? rng() | 1 : (rng() >> (rng() % 63)) + 1;
    const unsigned __int128 v = (static_cast<unsigned __int128>(hi) << 64) | lo;
    ASSERT_EQ(gpurand::detail::mod_wide<std::uint64_t>({hi, lo}, r),
              static_cast<std::uint64_t>(v % r));
  }
}

}  // namespace

// ---- the bulk group of dist::integer / integer64 (integer_group) ------------------------------

namespace {
/// A budgeted draw source like draw_cursor: the given words, 0 and exhausted() past them.
struct word_source {
  std::vector<std::uint32_t> words;
  std::size_t at = 0;
  bool spent = false;
  std::uint32_t next() {
    if (at == words.size()) {
      spent = true;
      return 0;
    }
    return words[at++];
  }
  bool exhausted() const { return spent; }
};
}  // namespace

TEST(Integers, GroupRetriesContinueAfterTheFirstBlockValueZeroFirst) {
  // Range 3 * 2^30: the try (0, 0) is rejected (its low bits 0 are below 2^64 mod r = 2^30).
  const std::uint64_t low = 5, high = low + (std::uint64_t{3} << 30);
  const std::uint32_t r = 3u << 30;
  auto one = [&](std::uint32_t hi, std::uint32_t lo) {
    const std::uint32_t w[2] = {hi, lo};
    int k = 0;
    return low + lemire_wide<std::uint32_t>([&] { return w[k++]; }, r);
  };
  std::uint32_t v[2] = {0, 0};
  // Value 0's first try (x0, x1) = (0, 0) is rejected: it retries with (x4, x5); value 1 keeps
  // (x2, x3); value 1 of a group whose value 1 is rejected retries after value 0's retries.
  word_source a{{0, 0, 0x12345678, 0x9abcdef0, 7, 8}};
  integer_group<false>(a, low, high, 2, v);
  EXPECT_FALSE(a.exhausted());
  EXPECT_EQ(one(7, 8), v[0]);
  EXPECT_EQ(one(0x12345678, 0x9abcdef0), v[1]);
  word_source b{{0x11111111, 0x22222222, 0, 0, 9, 10}};
  integer_group<false>(b, low, high, 2, v);
  EXPECT_EQ(one(0x11111111, 0x22222222), v[0]);
  EXPECT_EQ(one(9, 10), v[1]);
  // A spent budget ends the retries and says so (the caller fails the call).
  word_source c{{0, 0, 1, 2}};
  integer_group<false>(c, low, high, 2, v);
  EXPECT_TRUE(c.exhausted());
  // integer64: one value from four words, high first; retries after them.
  std::uint64_t w = 0;
  word_source d{{0, 0, 0, 0, 1, 2, 3, 4}};
  integer_group<true>(d, low, high, 1, &w);
  EXPECT_FALSE(d.exhausted());
  const std::uint32_t ws[4] = {1, 2, 3, 4};
  int k = 0;
  EXPECT_EQ(low + lemire_wide<std::uint64_t>([&] { return ws[k++]; }, high - low), w);
}

TEST(Integers, FirstTriesEqualTheGroupOrDeclineWithoutWriting) {
  // integer_group_first_tries (the CPU fill's batched path) must either decline, writing
  // nothing, or give integer_group's values from the same first block.
  using gpurand::detail::integer_group_first_tries;
  std::mt19937_64 rng(99);
  const std::uint64_t ranges32[] = {1, 2, 3, 7, 1000, 3ull << 30, 0xFFFFFFFFull, 1ull << 32};
  const std::uint64_t ranges64[] = {1, 3, 1000000000000ull, 3ull << 62, ~0ull};
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint32_t> x(8);
    for (auto& w : x) w = static_cast<std::uint32_t>(rng());
    const std::uint64_t low = rng() % 1000;
    for (const std::uint64_t r : ranges32) {
      std::uint32_t fast[2] = {0xdeadbeef, 0xdeadbeef}, slow[2] = {0, 0};
      word_source s{x};
      integer_group<false>(s, low, low + r, 2, slow);
      if (integer_group_first_tries<false>(x.data(), low, low + r, fast)) {
        ++accepted;
        EXPECT_EQ(fast[0], slow[0]) << "range " << r;
        EXPECT_EQ(fast[1], slow[1]) << "range " << r;
      }
    }
    for (const std::uint64_t r : ranges64) {
      const std::uint64_t lo64 = r == ~0ull ? 0 : low;
      std::uint64_t fast = 0xdeadbeef, slow = 0;
      word_source s{x};
      integer_group<true>(s, lo64, lo64 + r, 1, &slow);
      if (integer_group_first_tries<true>(x.data(), lo64, lo64 + r, &fast)) {
        ++accepted;
        EXPECT_EQ(fast, slow) << "range " << r;
      }
    }
  }
  EXPECT_EQ(accepted, 20000 * 13) << "random first tries are practically always sure";
  // Crafted tries it must decline: range 3, x = 2^64 / 3 rounded up (x * 3 = 2^64 + 2, low
  // bits 2 < 3: accepted only after comparing with the threshold 2^64 mod 3 = 1).
  const std::uint32_t unsure[4] = {0x55555555u, 0x55555556u, 0, 0};
  std::uint32_t v[2] = {0xdeadbeef, 0xdeadbeef};
  EXPECT_FALSE(gpurand::detail::integer_group_first_tries<false>(unsure, 0, 3, v));
  EXPECT_EQ(v[0], 0xdeadbeefu);
  EXPECT_EQ(v[1], 0xdeadbeefu) << "a declined group writes nothing";
  // The same for 64-bit words: x = ceil(2^128 / 3).
  const std::uint32_t unsure64[4] = {0x55555555u, 0x55555555u, 0x55555555u, 0x55555556u};
  std::uint64_t w = 7;
  EXPECT_FALSE(gpurand::detail::integer_group_first_tries<true>(unsure64, 0, 3, &w));
  EXPECT_EQ(w, 7u);
  // ... and the group body still accepts them (low bits 2 >= the threshold 1) with value 1.
  word_source s{{0x55555555u, 0x55555556u, 0, 0}};
  integer_group<false>(s, 0, 3, 2, v);
  EXPECT_EQ(v[0], 1u);
}
