// gpurand generate, run as a user runs it: output bits, seeding, and every
// kind of bad input (exit 2, a message, no output file left behind).

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "curand_ref.hpp"

namespace gpurand::test {
namespace {

namespace fs = std::filesystem;

struct result {
  int code;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gpurand_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  result run(const std::string& args) {
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    const std::string cmd =
        std::string(GPURAND_CLI) + " " + args + " >" + out.string() + " 2>" + err.string();
    const int status = std::system(cmd.c_str());
    result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
    fs::remove(out);
    fs::remove(err);
    return r;
  }
  fs::path dir_;
};

std::vector<unsigned char> bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST_F(Cli, GridModeEqualsCurandPerThreadForEveryEngineAndDist) {
  for (engine e : all_engines)
    for (dist d : all_dists) {
      const auto r =
          run(std::string("generate --engine ") + to_string(e) + " --dist " + to_string(d) +
              " --seed 77 --offset 5 --blocks 3 --threads 4 --per-thread 6 --backend cpu");
      ASSERT_EQ(0, r.code) << r.err;
      std::vector<unsigned char> want;
      for (std::uint64_t g = 0; g < 12; ++g) {
        const auto s = ref_stream(e, d, 77, g, 5, 6);
        want.insert(want.end(), s.begin(), s.end());
      }
      EXPECT_EQ(want, bytes(r.out)) << to_string(e) << "/" << to_string(d);
    }
}

TEST_F(Cli, CountModeEqualsTheBulkLayout) {
  for (dist d : all_dists) {
    const auto r = run(std::string("generate --dist ") + to_string(d) +
                       " --seed 9 --offset 4 --count 1001 --backend cpu");
    ASSERT_EQ(0, r.code) << r.err;
    EXPECT_EQ(ref_bulk(d, 9, 4, 0, 1001), bytes(r.out)) << to_string(d);
  }
}

TEST_F(Cli, InterleaveIsRoundRobinAcrossThreads) {
  const auto r = run("generate --seed 1 --blocks 2 --threads 3 --per-thread 5 --interleave");
  ASSERT_EQ(0, r.code) << r.err;
  ASSERT_EQ(6u * 5 * 4, r.out.size());
  for (std::uint64_t g = 0; g < 6; ++g) {
    const auto s = ref_stream(engine::philox4_32_10, dist::u32, 1, g, 0, 5);
    for (int k = 0; k < 5; ++k)
      EXPECT_EQ(0, std::memcmp(r.out.data() + (k * 6 + g) * 4, s.data() + 4 * k, 4));
  }
}

TEST_F(Cli, TextRoundTripsToTheRawBits) {
  for (dist d : {dist::u32, dist::uniform, dist::normal, dist::normal_double}) {
    const std::string base =
        std::string("generate --dist ") + to_string(d) + " --seed 3 --count 500";
    const auto raw = run(base), text = run(base + " --format text");
    ASSERT_EQ(0, raw.code);
    ASSERT_EQ(0, text.code);
    std::istringstream in(text.out);
    std::vector<unsigned char> back;
    std::string line;
    while (std::getline(in, line)) {
      unsigned char b[8];
      if (d == dist::u32) {
        const std::uint32_t v = std::stoul(line);
        std::memcpy(b, &v, 4);
      } else if (value_size(d) == 4) {
        const float v = std::strtof(line.c_str(), nullptr);
        std::memcpy(b, &v, 4);
      } else {
        const double v = std::strtod(line.c_str(), nullptr);
        std::memcpy(b, &v, 8);
      }
      back.insert(back.end(), b, b + value_size(d));
    }
    EXPECT_EQ(bytes(raw.out), back) << to_string(d);
  }
}

TEST_F(Cli, WithoutSeedPrintsTheOsSeedSoTheRunRepeats) {
  const auto a = run("generate --count 64");
  ASSERT_EQ(0, a.code);
  const auto pos = a.err.find("seed=");
  ASSERT_NE(std::string::npos, pos) << a.err;
  const std::string seed = a.err.substr(pos + 5, a.err.find('\n', pos) - pos - 5);
  const auto b = run("generate --count 64 --seed " + seed);
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(std::string::npos, b.err.find("seed=")) << "an explicit seed is not echoed";
  EXPECT_NE(a.out, run("generate --count 64").out) << "two OS seeds differ";
}

TEST_F(Cli, OutputFileIsWrittenWhole) {
  const fs::path f = dir_ / "out.bin";
  const auto r = run("generate --seed 2 --count 1000 --output " + f.string());
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_EQ(ref_bulk(dist::u32, 2, 0, 0, 1000), bytes(slurp(f)));
}

TEST_F(Cli, BadArgumentsExitTwoWithAMessageAndNoFile) {
  const fs::path f = dir_ / "never.bin";
  const std::string o = " --output " + f.string();
  const char* cases[] = {
      "generate --engine pcg --count 4",
      "generate --dist gaussian --count 4",
      "generate --count 0",
      "generate --count -5",
      "generate --count 12abc",
      "generate --count 99999999999999999999999",
      "generate --seed x --count 4",
      "generate --seed -1 --count 4",
      "generate --offset 1.5 --count 4",
      "generate --blocks 2 --threads 2",
      "generate --blocks 2 --threads 2 --per-thread 0",
      "generate --blocks 2 --threads 2 --per-thread 2 --count 4",
      "generate",
      "generate --count 4 --engine xorwow",
      "generate --count 4 --interleave",
      "generate --count 4 --format json",
      "generate --count 4 --backend fpga",
      "generate --count 4 --bogus",
      "generate --count 4 extra",
      "generate --count",
      "generate --blocks 4294967296 --threads 4294967296 --per-thread 2",
      "generate --count 4 --offset 18446744073709551614",
      "generate --blocks 1 --threads 1 --per-thread 8 --offset 18446744073709551610",
      "frobnicate",
      "demo --blocks 0",
      "demo --per-thread 2",
      "demo --launches x",
      "demo --blocks 1048576 --threads 1048576",
      "demo --compare=yes",
      "demo --bogus",
      "demo --backend tpu",
  };
  {
    const auto r = run("generate --count 4 --output " + (dir_ / "no/such/dir/x.bin").string());
    EXPECT_EQ(2, r.code) << "an output path that cannot be created is bad input";
    EXPECT_NE(std::string::npos, r.err.find("--output")) << r.err;
  }
  for (const char* c : cases) {
    const auto r = run(std::string(c) + o);
    EXPECT_EQ(2, r.code) << c;
    EXPECT_NE(std::string::npos, r.err.find("error")) << c << ": " << r.err;
    EXPECT_FALSE(fs::exists(f)) << c;
    EXPECT_TRUE(r.out.empty()) << c;
  }
  EXPECT_TRUE(fs::is_empty(dir_)) << "no temporary file left behind";
  // The message names the argument and the value.
  const auto r = run("generate --dist gaussian --count 4");
  EXPECT_NE(std::string::npos, r.err.find("--dist")) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("gaussian")) << r.err;
}

TEST_F(Cli, GpuBackendWithoutGpuIsAnError) {
  if (gpu_available()) GTEST_SKIP() << "a GPU is present: --backend gpu is valid here";
  const auto r = run("generate --backend gpu --count 4 --seed 1");
  EXPECT_EQ(2, r.code);
  EXPECT_NE(std::string::npos, r.err.find("backend=gpu")) << r.err;
}

}  // namespace
}  // namespace gpurand::test
