// Derivation and checkpoints: spawn(i, n) trees stay pairwise disjoint and
// end in an error, never an overlap; state()/restore() continue bit for bit
// and refuse anything damaged.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "curand_ref.hpp"
#include "expect_error.hpp"
#include "gpurand/gpurand.hpp"
#include "state_edit.hpp"

namespace gpurand::test {
namespace {

Generator cpu_gen(std::uint64_t seed) { return Generator(options{seed, backend_kind::cpu, 0}); }

struct span {
  std::uint64_t begin, end;  // a generator's own offsets [begin, end)
};

/// Builds a random tree below `g` (random n per level, a few random children
/// each) and collects every node's own window.
void grow(const Generator& g, int depth, std::mt19937_64& rng, std::vector<span>& out,
          int& refused) {
  out.push_back({g.offset(), g.window_end()});
  if (depth == 0) return;
  static const std::uint64_t ns[] = {1, 2, 3, 4, 7, 8, 64, 1000, 65536};
  const std::uint64_t n = ns[rng() % (sizeof ns / sizeof ns[0])];
  const int kids = static_cast<int>(std::min<std::uint64_t>(n, 3));
  std::vector<std::uint64_t> picked;
  for (int k = 0; k < kids; ++k) {
    std::uint64_t i = rng() % n;
    if (std::find(picked.begin(), picked.end(), i) != picked.end()) continue;
    picked.push_back(i);
    try {
      Generator child = g.spawn(i, n);
      grow(child, depth - 1, rng, out, refused);
    } catch (const Error& e) {
      EXPECT_EQ(errc::exhausted, e.code()) << e.what();
      ++refused;
    }
  }
}

TEST(Spawn, RandomTreesArePairwiseDisjoint) {
  std::mt19937_64 rng(2026);
  int refused = 0;
  for (int tree = 0; tree < 20; ++tree) {
    std::vector<span> spans;
    Generator root = cpu_gen(tree);
    grow(root, 6, rng, spans, refused);
    std::sort(spans.begin(), spans.end(), [](span a, span b) { return a.begin < b.begin; });
    for (std::size_t i = 0; i < spans.size(); ++i) {
      EXPECT_LT(spans[i].begin, spans[i].end) << "an empty window";
      // Sorted by start, every window ends before the next one starts: so
      // every pair of windows in the tree is disjoint.
      if (i + 1 < spans.size()) {
        EXPECT_LE(spans[i].end, spans[i + 1].begin) << "tree " << tree << " windows " << i;
      }
    }
  }
  EXPECT_GT(refused, 0) << "deep trees must reach the limit (an error, not an overlap)";
}

TEST(Spawn, LeafWindowsMatchTheDocumentedArithmetic) {
  // A rank x device x worker x task tree: 1024 x 8 x 64 x 1024 leaves.
  Generator root = cpu_gen(1);
  Generator leaf = root.spawn(1023, 1024).spawn(7, 8).spawn(63, 64).spawn(1023, 1024);
  const std::uint64_t own = leaf.window_end() - leaf.offset();
  // README: each level costs log2(n) + 1 bits; the root's own half costs 1:
  // 64 - 1 - (10+1) - (3+1) - (6+1) - (10+1) - 1 (the leaf's own half) = 29,
  // minus at most one for rounding.
  EXPECT_GE(own, std::uint64_t{1} << 28);
  EXPECT_LE(own, std::uint64_t{1} << 30);
  std::uint32_t buf[8];
  leaf.generate(buf, 8);
}

TEST(Spawn, TheFirstSpawnFixesTheDivision) {
  Generator g = cpu_gen(3);
  Generator a = g.spawn(0, 4);
  Generator b = g.spawn(3, 4);
  EXPECT_LE(a.window_end(), b.offset());
  expect_error(errc::invalid_argument, "already divided into 4",
               [&] { (void)g.spawn(1); });  // 65,536 slots would overlap the 4
  expect_error(errc::invalid_argument, "already divided into 4", [&] { (void)g.spawn(0, 5); });
  expect_error(errc::invalid_argument, "index", [&] { (void)g.spawn(4, 4); });
  expect_error(errc::invalid_argument, "n: must be positive", [&] { (void)g.spawn(0, 0); });
  Generator fresh = cpu_gen(3);
  expect_error(errc::exhausted, "nesting too deep",
               [&] { (void)fresh.spawn(0, ~std::uint64_t{0}); });
  // A refused spawn fixed nothing: any n is still possible.
  Generator c = fresh.spawn(1, 2);
  EXPECT_EQ(fresh.window_end(), fresh.spawn(0, 2).offset());
  (void)c;
}

TEST(Spawn, LegacySpawnKeepsItsSlots) {
  Generator g = cpu_gen(9);
  EXPECT_EQ(g.spawn(5).offset(), cpu_gen(9).spawn(5, 65536).offset());
}

// ---- checkpoint and restore ---------------------------------------------------

TEST(State, RestoreContinuesBitForBit) {
  Generator g = cpu_gen(42);
  std::vector<float> x(100);
  g.uniform(x.data(), x.size());
  (void)g.launch(10);
  const std::string s = g.state();
  Generator r = Generator::restore(s, backend_kind::cpu);
  EXPECT_EQ(s, r.state());
  EXPECT_EQ(g.seed(), r.seed());
  EXPECT_EQ(g.offset(), r.offset());
  EXPECT_EQ(g.window_end(), r.window_end());
  std::vector<float> a(1000), b(1000);
  g.normal(a.data(), a.size());
  r.normal(b.data(), b.size());
  EXPECT_EQ(a, b);
  // Children agree too, and so do theirs.
  Generator gc = g.spawn(3, 10).spawn(1), rc = r.spawn(3, 10).spawn(1);
  EXPECT_EQ(gc.state(), rc.state());
  std::uint32_t p[16], q[16];
  gc.generate(p, 16);
  rc.generate(q, 16);
  EXPECT_EQ(0, std::memcmp(p, q, sizeof p));
  // A restored child continues like the child; the division of its spawn
  // space is part of the state.
  Generator rr = Generator::restore(g.state(), backend_kind::cpu);
  expect_error(errc::invalid_argument, "already divided into 10", [&] { (void)rr.spawn(0); });
}

TEST(State, KeepsForkBehaviour) {
  Generator os(options{std::nullopt, backend_kind::cpu, 0});
  Generator ex = cpu_gen(8);
  Generator ros = Generator::restore(os.state(), backend_kind::cpu);
  Generator rex = Generator::restore(ex.state(), backend_kind::cpu);
  EXPECT_TRUE(ros.seeded_from_os());
  EXPECT_FALSE(rex.seeded_from_os());
  int fds[2];
  ASSERT_EQ(0, pipe(fds));
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int rc = 0;
    std::uint32_t buf[4];
    try {
      rex.generate(buf, 4);
      rc = 1;
    } catch (const Error& e) {
      rc = e.code() == errc::forked ? 0 : 2;
    }
    const std::uint64_t s = ros.seed();
    if (write(fds[1], &s, sizeof s) != sizeof s) rc = 5;
    _exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(0, WEXITSTATUS(status));
  std::uint64_t child_seed = 0;
  ASSERT_EQ(static_cast<ssize_t>(sizeof child_seed), read(fds[0], &child_seed, sizeof child_seed));
  close(fds[0]);
  close(fds[1]);
  EXPECT_NE(ros.seed(), child_seed) << "a restored OS-seeded generator reseeds in a child";
}

TEST(State, DamagedStatesAreRefusedByName) {
  Generator g = cpu_gen(12345);
  (void)g.launch(8);
  const std::string s = g.spawn(2, 3).state();
  EXPECT_EQ(s, reseal(s)) << "the test's checksum must be the library's";
  const auto bad = [](const std::string& text, const std::string& needle) {
    expect_error(errc::invalid_argument, needle,
                 [&] { (void)Generator::restore(text, backend_kind::cpu); });
  };
  bad("", "not a gpurand state");
  bad("hello", "not a gpurand state");
  bad(s.substr(0, s.size() / 2), "checksum");                        // truncated
  bad(replace(s, "seed=12345", "seed=12346"), "checksum mismatch");  // corrupted
  bad(reseal(replace(s, "gpurand-state/1", "gpurand-state/2")), "version 2");
  bad(reseal(replace(s, "seed=12345", "seed=x")), "seed");
  bad(reseal(replace(s, " os=0", "")), "expected field 'os'");
  bad(reseal(replace(s, "os=0", "os=7")), "os");
  bad(reseal(replace(s, "path=2:3", "path=2:2")), "path");
  bad(reseal(replace(s, "path=2:3", "path=1:3")), "window");
  bad(reseal(s.substr(0, s.rfind(" check=")) + " extra=1"), "unexpected text");
  // next outside the window's own part
  Generator child = g.spawn(2, 3);
  const std::string cs = child.state();
  const std::string next = "next=" + std::to_string(child.offset());
  bad(reseal(replace(cs, next, "next=" + std::to_string(child.window_end() + 1))), "next");
  // And the untouched text restores.
  EXPECT_EQ(s, Generator::restore(s + "\n", backend_kind::cpu).state());
}

}  // namespace
}  // namespace gpurand::test
