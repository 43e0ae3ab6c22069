// gpurand generate --state-out / --state-in: runs resumed one after the other
// write exactly what one longer run writes, in count mode (one fill) and in
// interleaved grid mode (per-thread streams), and every bad state or
// conflicting command line is refused (exit 2) before anything is written.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.hpp"
#include "cli_run.hpp"
#include "curand_ref.hpp"
#include "state_edit.hpp"

namespace gpurand::test {
namespace {

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
}

class CliState : public Cli {
 protected:
  /// Runs `args`, which must succeed, and returns its stdout.
  std::string ok(const std::string& args) {
    const result r = run(args);
    EXPECT_EQ(0, r.code) << args << ": " << r.err;
    return r.out;
  }
  std::string state(const char* name = "s") { return slurp(dir_ / name); }
  std::string file(const char* name = "s") { return (dir_ / name).string(); }
};

// ---------------------------------------------------------------------------
// Count mode: value i of the one fill is lane i % 4 (i % 2 for doubles) of
// group i / 4, so a resumed run may start inside a group.

TEST_F(CliState, CountModeRunsConcatenatedEqualOneRunForEveryDistAndFormat) {
  const std::pair<std::uint64_t, std::uint64_t> splits[] = {
      {1, 1}, {1, 6}, {2, 3}, {3, 5}, {4, 4}, {5, 2}, {6, 7}, {7, 1}, {1001, 3}, {2, 1001}};
  for (dist d : all_dists)
    for (const char* fmt : {"raw", "text"}) {
      const std::string base = std::string("generate --backend cpu --seed 31 --offset 6 --dist ") +
                               to_string(d) + test_cli_params(d) + " --format " + fmt;
      for (const auto& [n1, n2] : splits) {
        const std::string whole = ok(base + " --count " + std::to_string(n1 + n2));
        if (std::string(fmt) == "raw") {
          ASSERT_EQ(ref_bulk(d, 31, 6, 0, n1 + n2), bytes(whole)) << to_string(d);
        }
        const std::string a =
            ok(base + " --count " + std::to_string(n1) + " --state-out " + file());
        EXPECT_NE(std::string::npos, state().find(" written=" + std::to_string(n1) + " "))
            << state();
        // The resumed run names only its length; the rest comes from the state.
        const std::string b =
            ok(std::string("generate --backend cpu --format ") + fmt + " --count " +
               std::to_string(n2) + " --state-in " + file() + " --state-out " + file());
        EXPECT_NE(std::string::npos, state().find(" written=" + std::to_string(n1 + n2) + " "));
        ASSERT_EQ(whole, a + b) << to_string(d) << " " << fmt << " " << n1 << "+" << n2;
      }
    }
}

TEST_F(CliState, CountModeResumeAcrossAChunkBoundary) {
  // The CLI fills in pieces of 2^22 values; a resumed run that starts 3
  // values before a piece boundary, inside a group, crosses it.
  const std::uint64_t n1 = (std::uint64_t{1} << 22) - 3, n2 = 10;
  for (dist d : {dist::u32, dist::normal_double}) {
    ok(std::string("generate --backend cpu --seed 8 --dist ") + to_string(d) + " --count " +
       std::to_string(n1) + " --output " + file("a") + " --state-out " + file());
    const std::string b =
        ok("generate --backend cpu --count " + std::to_string(n2) + " --state-in " + file());
    EXPECT_EQ(ref_bulk(d, 8, 0, n1, n2), bytes(b)) << to_string(d);
  }
}

TEST_F(CliState, ExplicitMatchingSettingsAndAnOsSeedResume) {
  // No --seed: the OS seed is saved, and repeating every setting is fine.
  const result a = run("generate --dist uniform --count 5 --state-out " + file());
  ASSERT_EQ(0, a.code) << a.err;
  const auto at = a.err.find("seed=");
  ASSERT_NE(std::string::npos, at) << a.err;
  const std::string seed = a.err.substr(at + 5, a.err.find('\n', at) - at - 5);
  const result b = run("generate --dist uniform --engine philox --offset 0 --seed " + seed +
                       " --count 6 --state-in " + file());
  ASSERT_EQ(0, b.code) << b.err;
  EXPECT_EQ(std::string::npos, b.err.find("seed=")) << "a resumed run draws no new seed";
  EXPECT_EQ(ok("generate --dist uniform --count 11 --seed " + seed), a.out + b.out);
}

// ---------------------------------------------------------------------------
// Grid mode, --interleave: row k holds draw k of every thread.

/// Rows [0, k) of threads [0, threads) of curand_init(seed, g, offset), draw-major.
std::vector<unsigned char> ref_rows(engine e, dist d, std::uint64_t seed, std::uint64_t offset,
                                    std::uint64_t threads, std::uint64_t first_row,
                                    std::uint64_t k) {
  const std::size_t size = value_size(d);
  std::vector<unsigned char> want(threads * k * size);
  for (std::uint64_t g = 0; g < threads; ++g) {
    const auto s = ref_stream(e, d, seed, g, offset, first_row + k);
    for (std::uint64_t i = 0; i < k; ++i)
      std::memcpy(want.data() + (i * threads + g) * size, s.data() + (first_row + i) * size, size);
  }
  return want;
}

TEST_F(CliState, GridInterleavedRunsConcatenatedEqualOneRunForEveryEngineAndDist) {
  // Odd first parts leave a normal inside a Box-Muller pair.
  const std::pair<std::uint64_t, std::uint64_t> splits[] = {{1, 1}, {1, 4}, {2, 3}, {3, 2}, {5, 4}};
  for (engine e : all_engines)
    for (dist d : all_dists)
      for (const auto& [k1, k2] : splits) {
        if (is_variable(d)) continue;  // refused: see VariableDrawGridIsNotResumed
        const std::string base = std::string("generate --backend cpu --seed 21 --offset 3 ") +
                                 "--blocks 2 --threads 3 --interleave --engine " + to_string(e) +
                                 " --dist " + to_string(d) + test_cli_params(d);
        const std::string a =
            ok(base + " --per-thread " + std::to_string(k1) + " --state-out " + file());
        const std::string b = ok("generate --backend cpu --per-thread " + std::to_string(k2) +
                                 " --state-in " + file());
        ASSERT_EQ(ref_rows(e, d, 21, 3, 6, 0, k1 + k2), bytes(a + b))
            << to_string(e) << "/" << to_string(d) << " " << k1 << "+" << k2;
      }
}

TEST_F(CliState, DistributionParametersAreSavedAndAVariableDrawGridIsNotResumed) {
  // Count mode: --mean/--stddev/--lambda travel in the state.
  for (const char* args : {"--dist log-normal --mean -1.5 --stddev 0.25",
                           "--dist log-normal-double --mean 2 --stddev 1e-3",
                           "--dist poisson --lambda 4000.01", "--dist poisson --lambda 12.5"}) {
    const std::string base = std::string("generate --backend cpu --seed 8 ") + args;
    const std::string whole = ok(base + " --count 13");
    const std::string a = ok(base + " --count 6 --state-out " + file());
    const std::string b = ok("generate --backend cpu --count 7 --state-in " + file());
    EXPECT_EQ(whole, a + b) << args;
  }
  // A Poisson grid cannot restart at a row (draws_for is a cap): refused either way.
  const result r =
      run("generate --backend cpu --seed 8 --dist poisson --blocks 1 --threads 2 "
          "--per-thread 3 --interleave --state-out " +
          file("p"));
  EXPECT_EQ(2, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("--state-out")) << r.err;
  EXPECT_TRUE(r.out.empty());
}

// ---------------------------------------------------------------------------
// Chains and the same file in and out.

TEST_F(CliState, ThreeRunChainsEqualOneRun) {
  const std::string count = "generate --backend cpu --seed 4 --dist normal";
  ok(count + " --count 3 --output " + file("1") + " --state-out " + file());
  ok("generate --backend cpu --count 6 --output " + file("2") + " --state-in " + file() +
     " --state-out " + file());
  ok("generate --backend cpu --count 5 --output " + file("3") + " --state-in " + file() +
     " --state-out " + file());
  EXPECT_NE(std::string::npos, state().find(" written=14 ")) << state();
  EXPECT_EQ(ok(count + " --count 14"), slurp(dir_ / "1") + slurp(dir_ / "2") + slurp(dir_ / "3"));

  const std::string grid =
      "generate --backend cpu --seed 4 --dist normal-double --engine "
      "mrg32k3a --blocks 1 --threads 4 --interleave";
  std::string chained = ok(grid + " --per-thread 1 --state-out " + file("g"));
  for (const char* k : {"3", "2"})
    chained += ok(std::string("generate --backend cpu --per-thread ") + k + " --state-in " +
                  file("g") + " --state-out " + file("g"));
  EXPECT_EQ(ok(grid + " --per-thread 6"), chained);
  // A state read but not rewritten: the same continuation again.
  const std::string again = state("g");
  EXPECT_EQ(ok("generate --backend cpu --per-thread 2 --state-in " + file("g")),
            ok("generate --backend cpu --per-thread 2 --state-in " + file("g")));
  EXPECT_EQ(again, state("g"));
}

// ---------------------------------------------------------------------------
// Refusals: exit 2, a message naming the problem, the output and the state
// file untouched, no temporary left.

TEST_F(CliState, BadStatesAndConflictsAreRefusedAndTouchNothing) {
  ok("generate --backend cpu --seed 9 --dist normal --offset 4 --count 5 --state-out " + file());
  ok("generate --backend cpu --seed 9 --blocks 2 --threads 2 --per-thread 3 --interleave "
     "--state-out " +
     file("g"));
  const std::string count_state = state(), grid_state = state("g");
  ASSERT_EQ(0u, count_state.find("gpurand-generate-state/1 mode=count ")) << count_state;
  // Files with damaged or unusable states.
  struct bad_file {
    std::string text, args, needle;
  };
  const std::string wide(5000, 'x');
  const bad_file bad_files[] = {
      {"", "--count 2", "not a gpurand generate state"},
      {"gpurand-state/1 seed=1", "--count 2", "not a gpurand generate state"},
      {wide, "--count 2", "longer than 4096"},
      {count_state.substr(0, count_state.size() / 2), "--count 2", "checksum"},  // truncated
      {replace(count_state, "seed=9", "seed=8"), "--count 2", "checksum mismatch"},
      {replace(count_state, "written=5", "written=6"), "--count 2", "checksum mismatch"},
      {reseal(replace(count_state, "generate-state/1", "generate-state/2")), "--count 2",
       "version 2"},
      {reseal(replace(count_state, "mode=count", "mode=bulk")), "--count 2", "mode"},
      {reseal(replace(count_state, "written=5", "written=x")), "--count 2", "written"},
      {reseal(replace(count_state, " offset=4", " offset=4 bogus=1")), "--count 2", "bogus"},
      {reseal(replace(count_state, " offset=4", " offset=4 offset=4")), "--count 2", "twice"},
      {reseal(replace(count_state, " seed=9", "")), "--count 2", "seed"},
      {reseal(replace(count_state, "dist=normal", "dist=gaussian")), "--count 2", "gaussian"},
      {reseal(replace(count_state, "written=5", "written=18446744073709551615")), "--count 2",
       "2^64"},
      // Conflicts between the state and the command line.
      {count_state, "--count 2 --dist uniform", "--dist"},
      {count_state, "--count 2 --seed 10", "--seed"},
      {count_state, "--count 2 --offset 0", "--offset"},
      {count_state, "--per-thread 2", "count-mode"},
      {count_state, "--per-thread 2 --blocks 2 --threads 2 --interleave", "count-mode"},
      {count_state, "", "--count N"},
      {count_state, "--count 0", "--count"},
      {grid_state, "--count 2", "grid-mode"},
      {grid_state, "--per-thread 2 --blocks 3", "--blocks"},
      {grid_state, "--per-thread 2 --threads 1", "--threads"},
      {grid_state, "--per-thread 2 --engine xorwow", "--engine"},
      {grid_state, "--per-thread 2 --dist uniform", "--dist"},
  };
  const fs::path out = dir_ / "out.bin", in = dir_ / "in", saved = dir_ / "saved";
  const std::string outputs = " --output " + out.string() + " --state-out " + saved.string();
  auto expect_refused = [&](const std::string& args, const std::string& needle) {
    write_file(out, "old output");
    write_file(saved, "old state");
    const result r = run("generate --backend cpu " + args + outputs);
    EXPECT_EQ(2, r.code) << args << ": " << r.err;
    EXPECT_NE(std::string::npos, r.err.find(needle)) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
    EXPECT_EQ("old output", slurp(out)) << args;
    EXPECT_EQ("old state", slurp(saved)) << args;
  };
  for (const bad_file& b : bad_files) {
    write_file(in, b.text);
    expect_refused(b.args + " --state-in " + in.string(), b.needle);
  }
  // The message names the file.
  write_file(in, count_state);
  expect_refused("--count 2 --dist uniform --state-in " + in.string(), in.string());
  // No file, a directory, stdin.
  expect_refused("--count 2 --state-in " + (dir_ / "missing").string(), "missing");
  expect_refused("--count 2 --state-in " + dir_.string(), "cannot read");
  expect_refused("--count 2 --state-in -", "--state-in");
  // Thread-major grid runs cannot be continued.
  expect_refused("--seed 1 --blocks 1 --threads 2 --per-thread 2", "--interleave");
  // Files that would overwrite each other.
  {
    write_file(in, count_state);
    const result r = run("generate --count 2 --state-in " + in.string() + " --state-out " +
                         file("x") + " --output " + in.string());
    EXPECT_EQ(2, r.code) << r.err;
    EXPECT_NE(std::string::npos, r.err.find("--state-in")) << r.err;
    EXPECT_EQ(count_state, slurp(in));
    const result w =
        run("generate --seed 1 --count 2 --state-out " + file("x") + " --output " + file("x"));
    EXPECT_EQ(2, w.code) << w.err;
    EXPECT_NE(std::string::npos, w.err.find("--state-out")) << w.err;
    EXPECT_FALSE(fs::exists(dir_ / "x"));
  }
  // A --state-out that cannot be created is bad input before any work.
  {
    const result r = run("generate --seed 1 --count 2 --output " + out.string() + " --state-out " +
                         (dir_ / "no/such/dir/s").string());
    EXPECT_EQ(2, r.code) << r.err;
    EXPECT_NE(std::string::npos, r.err.find("--state-out")) << r.err;
  }
  EXPECT_EQ(count_state, state()) << "the states read are never written";
  EXPECT_EQ(grid_state, state("g"));
  // Nothing else in the directory: no temporary left behind.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir_))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ((std::vector<std::string>{"g", "in", "out.bin", "s", "saved"}), names);
}

TEST_F(CliState, AFailedRunLeavesTheOldState) {
  ok("generate --seed 2 --count 4 --state-out " + file());
  const std::string before = state();
  // The output cannot be written whole (a file size limit): exit 1, and the
  // state in and out (the same file) is the old one.
  const result r = run("generate --count 100000 --output " + file("o") + " --state-in " + file() +
                           " --state-out " + file(),
                       "trap '' XFSZ; ulimit -f 1;");
  EXPECT_EQ(1, r.code) << r.err;
  EXPECT_EQ(before, state());
  EXPECT_FALSE(fs::exists(dir_ / "o"));
  std::size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(dir_)) entries += entry.exists();
  EXPECT_EQ(1u, entries) << "no temporary left behind";
}

TEST(CliStateFlags, EveryFlagOfGenerateIsSavedOrBelongsToOneRun) {
  // A flag that changes the values (a distribution parameter) must be saved by
  // --state-out (settings_of in src/cli/generate_cmd.cpp), or a resumed run
  // would quietly fall back to its default. A new flag fails here until it is
  // classified.
  const std::set<std::string> saved = {
      "--engine", "--dist",   "--seed",   "--offset", "--blocks", "--threads",  "--mean",
      "--stddev", "--lambda", "--p",      "--low",    "--high",   "--weights", "--weights-file"};
  const std::set<std::string> per_run = {"--backend",    "--format",     "--output",
                                         "--interleave", "--per-thread", "--count",
                                         "--state-in",   "--state-out",  "--help"};
  std::ostringstream help, err;
  ASSERT_EQ(0, cli::parse_only(cli::command::generate, {"--help"}, help, err)) << err.str();
  const std::string text = help.str();
  std::set<std::string> flags;
  for (std::size_t at = text.find("--"); at != std::string::npos; at = text.find("--", at + 2)) {
    std::size_t end = at + 2;
    while (end < text.size() &&
           (std::islower(static_cast<unsigned char>(text[end])) || text[end] == '-'))
      ++end;
    if (end > at + 2) flags.insert(text.substr(at, end - at));
  }
  EXPECT_TRUE(flags.count("--dist")) << text;
  for (const std::string& f : flags)
    EXPECT_TRUE(saved.count(f) || per_run.count(f))
        << f
        << ": a flag of generate that --state-out neither saves nor knows to belong to one "
           "run; if it changes the values, add it to settings_of() in generate_cmd.cpp, "
           "then to one of the lists here";
}

TEST(CliStateParseOnly, ChecksTheCommandLineWithoutReadingTheFile) {
  // parse_only touches no file: a resumed command line is checked for what it
  // says by itself (its length, one mode); the rest needs the state.
  const std::string missing = "/nonexistent/gpurand/s";
  const struct {
    std::vector<std::string> args;
    int code;
    const char* needle;
  } cases[] = {
      {{"--count", "4", "--state-in", missing}, 0, ""},
      {{"--per-thread", "4", "--state-in", missing, "--state-out", missing}, 0, ""},
      {{"--state-in", missing}, 2, "--count N"},
      {{"--count", "4", "--per-thread", "4", "--state-in", missing}, 2, "--count"},
      {{"--count", "4", "--state-out", "-"}, 2, "--state-out"},
      {{"--seed", "1", "--blocks", "1", "--threads", "1", "--per-thread", "1", "--state-out",
        missing},
       2,
       "--interleave"},
  };
  for (const auto& c : cases) {
    std::ostringstream out, err;
    EXPECT_EQ(c.code, cli::parse_only(cli::command::generate, c.args, out, err)) << err.str();
    EXPECT_NE(std::string::npos, err.str().find(c.needle)) << err.str();
  }
}

}  // namespace
}  // namespace gpurand::test
