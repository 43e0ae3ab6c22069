// gpurand generate, run as a user runs it: output bits, seeding, and every
// kind of bad input (exit 2, a message, no output file left behind).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/audit_cmd.hpp"
#include "cli/commands.hpp"
#include "cli_run.hpp"
#include "curand_ref.hpp"

namespace gpurand::test {
namespace {

TEST_F(Cli, GridModeEqualsCurandPerThreadForEveryEngineAndDist) {
  for (engine e : all_engines)
    for (dist d : all_dists) {
      const auto r =
          run(std::string("generate --engine ") + to_string(e) + " --dist " + to_string(d) +
              test_cli_params(d) +
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
    const auto r = run(std::string("generate --dist ") + to_string(d) + test_cli_params(d) +
                       " --seed 9 --offset 4 --count 1001 --backend cpu");
    ASSERT_EQ(0, r.code) << r.err;
    EXPECT_EQ(ref_bulk(d, 9, 4, 0, 1001), bytes(r.out)) << to_string(d);
  }
}

TEST_F(Cli, LogNormalAndPoissonParametersInGridAndCountModes) {
  struct item {
    const char* args;
    dist d;
    detail::fill_params<double> p;
  };
  detail::fill_params<double> ln, pl, pn;
  ln.mean = -1.5;
  ln.stddev = 0.5;
  pl.lambda = 700;
  pn.lambda = 5000;
  const item items[] = {
      {"--dist log-normal --mean -1.5 --stddev 0.5", dist::log_normal, ln},
      {"--dist log-normal-double --mean -1.5 --stddev 0.5", dist::log_normal_double, ln},
      {"--dist poisson --lambda 700", dist::poisson, pl},
      {"--dist poisson --lambda 5000", dist::poisson, pn}};
  for (const item& it : items) {
    // Grid mode: the k-th curand_log_normal / curand_poisson of curand_init(seed, g, offset).
    for (engine e : all_engines) {
      const auto r =
          run(std::string("generate ") + it.args + " --engine " + to_string(e) +
              " --seed 3 --offset 8 --blocks 2 --threads 3 --per-thread 5 --backend cpu");
      ASSERT_EQ(0, r.code) << r.err;
      std::vector<unsigned char> want;
      for (std::uint64_t g = 0; g < 6; ++g) {
        const auto s = ref_stream(e, it.d, 3, g, 8, 5, it.p);
        want.insert(want.end(), s.begin(), s.end());
      }
      EXPECT_EQ(want, bytes(r.out)) << it.args << " " << to_string(e);
    }
    // Count mode: the bulk layout (curand_log_normal4 / curand_poisson4).
    const auto r = run(std::string("generate ") + it.args + " --seed 9 --count 1001 --backend cpu");
    ASSERT_EQ(0, r.code) << r.err;
    EXPECT_EQ(ref_bulk(it.d, 9, 0, 0, 1001, it.p.mean, it.p.stddev, it.p.lambda), bytes(r.out))
        << it.args;
  }
}

TEST_F(Cli, IntegerLowHighInGridAndCountModes) {
  for (dist d : {dist::integer, dist::integer64}) {
    const std::string args =
        std::string("generate --dist ") + to_string(d) + " --low 5 --high 17 --seed 4 ";
    const std::size_t size = value_size(d);
    // Grid mode: the library's per-thread writer (thread g: rng.integer(5, 17) calls).
    detail::fill_params<double> range = ref_params();
    range.low = 5;
    range.high = 17;
    const auto want = cpu_grid(engine::philox4_32_10, d, 4, 8, 0, 6, 5, false, range);
    const auto r = run(args + "--offset 8 --blocks 2 --threads 3 --per-thread 5 --backend cpu");
    ASSERT_EQ(0, r.code) << r.err;
    EXPECT_EQ(want, bytes(r.out)) << to_string(d);
    // Count mode: the bulk fill.
    const auto fillv = cpu_bulk(d, 4, 0, 0, 1001, range);
    const auto c = run(args + "--count 1001 --backend cpu");
    ASSERT_EQ(0, c.code) << c.err;
    EXPECT_EQ(fillv, bytes(c.out)) << to_string(d);
    for (std::size_t i = 0; i < 1001; ++i) {
      std::uint64_t v = 0;
      std::memcpy(&v, fillv.data() + i * size, size);
      ASSERT_TRUE(v >= 5 && v < 17) << v;
    }
    // Text output and the checks of the flags.
    const auto t = run(args + "--count 3 --format text --backend cpu");
    ASSERT_EQ(0, t.code) << t.err;
    for (const char* bad : {"--low 5", "--low 17 --high 17", "--high 0"}) {
      const auto e =
          run(std::string("generate --dist ") + to_string(d) + " " + bad + " --count 4 --seed 1");
      EXPECT_EQ(2, e.code) << bad;
      EXPECT_NE(std::string::npos, e.err.find("--high")) << bad << ": " << e.err;
    }
  }
  const auto e = run("generate --dist integer --high 4294967297 --count 4 --seed 1");
  EXPECT_EQ(2, e.code);
  EXPECT_NE(std::string::npos, e.err.find("--high: integer values are uint32")) << e.err;
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
  for (dist d : {dist::u32, dist::uniform, dist::normal, dist::normal_double, dist::exponential,
                 dist::bernoulli, dist::discrete}) {
    const std::string base = std::string("generate --dist ") + to_string(d) +
                              test_cli_params(d) + " --seed 3 --count 500";
    const auto raw = run(base), text = run(base + " --format text");
    ASSERT_EQ(0, raw.code);
    ASSERT_EQ(0, text.code);
    std::istringstream in(text.out);
    std::vector<unsigned char> back;
    std::string line;
    while (std::getline(in, line)) {
      unsigned char b[8];
      if (d == dist::u32 || d == dist::bernoulli || d == dist::discrete) {
        ASSERT_EQ(line.find_first_not_of("0123456789"), std::string::npos) << line;
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

TEST_F(Cli, DistributionParametersAreCheckedAndNamed) {
  // {arguments, what stderr must name}: the flag and, for a bad value, the value.
  const std::pair<const char*, const char*> cases[] = {
      {"--dist exponential --lambda 0", "--lambda: must be in [2^-120, 3.4e38]"},
      {"--dist exponential --lambda -3", "got -3"},
      {"--dist exponential --lambda nan", "--lambda"},
      {"--dist exponential --lambda 1e39", "got 1e+39"},
      {"--dist exponential --lambda x", "--lambda: expected a finite decimal number, got 'x'"},
      {"--dist bernoulli --p 1.5", "--p: must be in [0, 1] for bernoulli, got 1.5"},
      {"--dist bernoulli --p -0.1", "got -0.1"},
      {"--dist discrete", "needs exactly one of --weights and --weights-file"},
      {"--dist discrete --weights 1,-2", "--weights: weights[1]: -2"},
      {"--dist discrete --weights 0,0", "--weights: weights: all 2 weights are zero"},
      {"--dist discrete --weights 1,abc",
       "--weights (weight 1): expected a finite decimal number, got 'abc'"},
      {"--dist discrete --weights ,", "--weights: weights: empty"},
      {"--dist discrete --weights-file no-such-file", "--weights-file: cannot open"},
      // A flag the distribution does not read is an error naming the flag.
      {"--dist uniform --lambda 2", "--lambda: not a parameter of --dist uniform"},
      {"--dist exponential --p 0.5", "--p: not a parameter of --dist exponential"},
      {"--lambda 2", "--lambda: not a parameter of --dist u32"},
      {"--dist bernoulli --weights 1,2", "--weights: not a parameter of --dist bernoulli"},
      {"--dist discrete --weights 1 --low 0", "--low: not a parameter of --dist discrete"},
      {"--dist normal --high 3", "--high: not a parameter of --dist normal"},
      // log-normal and Poisson: the flag named (and the value, as above).
      {"--dist u32 --lambda 3", "--lambda"},
      {"--dist normal --mean 1", "--mean"},
      {"--dist poisson --stddev 2", "--stddev"},
      {"--dist log-normal --lambda 2", "--lambda"},
      {"--dist poisson --lambda 0", "--lambda"},
      {"--dist poisson --lambda -3", "--lambda"},
      {"--dist poisson --lambda 5e9", "--lambda"},
      {"--dist poisson --lambda abc", "--lambda"},
      {"--dist poisson --lambda nan", "--lambda"},
      {"--dist poisson --lambda 1e", "--lambda"},
      {"--dist log-normal --stddev -1", "--stddev"},
      {"--dist log-normal --mean inf", "--mean"},
      {"--dist log-normal --mean 80 --stddev 2", "--stddev"},
      {"--dist log-normal-double --mean 0x10", "--mean"},
  };
  for (const auto& [args, needle] : cases)
    for (const char* mode : {" --count 8", " --blocks 1 --threads 2 --per-thread 3"}) {
      const auto r = run(std::string("generate --seed 1 --backend cpu ") + args + mode);
      EXPECT_EQ(2, r.code) << args << mode;
      EXPECT_NE(std::string::npos, r.err.find(needle)) << args << ": " << r.err;
      EXPECT_TRUE(r.out.empty()) << args;
    }
  // --weights-file: numbers separated by commas, spaces or newlines; the same values as --weights.
  const fs::path w = dir_ / "weights.txt";
  std::ofstream(w) << "1 2\n3, 0\n4.5 0.25\n7\n";
  const std::string base = "generate --dist discrete --seed 4 --count 99 --backend cpu";
  const auto a = run(base + " --weights-file " + w.string());
  const auto b = run(base + std::string(" --weights ") + test_weights_text);
  ASSERT_EQ(0, a.code) << a.err;
  ASSERT_EQ(0, b.code) << b.err;
  EXPECT_EQ(a.out, b.out);
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
      // Numbers stay strict: no exponent, sign, base prefix or space.
      "generate --count 1e3",
      "generate --count +5",
      "generate --count -0",
      "generate --seed 0x10 --count 4",
      "generate --count ' 5'",
      // A flag given twice is an error in every command.
      "generate --count 5 --count 6",
      "generate --seed 1 --seed 1 --count 4",
      "generate --blocks 2 --threads 2 --per-thread 2 --interleave --interleave",
      "demo --blocks 4 --blocks 4",
      "demo --compare --compare",
      "demo --compare=false",
      // A grid whose size cannot be served, interleaved or not.
      "generate --blocks 4294967296 --threads 4294967296 --per-thread 2 --interleave",
      "generate --blocks 4294967296 --threads 4294967295 --per-thread 1 --dist normal-double "
      "--interleave",
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

// ---------------------------------------------------------------------------
// --output writes like a shell redirection to what is not a regular file.

/// A byte count `want` read from `fd` by a thread, with a deadline so that a
/// writer that never comes fails the test instead of hanging it.
struct fifo_reader {
  fifo_reader(int fd, std::size_t want)
      : thread_([this, fd, want] {
          char buf[1 << 16];
          while (got_.size() < want) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 30000) <= 0) return;  // 30 s without data: give up
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n <= 0) return;
            got_.append(buf, static_cast<std::size_t>(n));
          }
        }) {}
  std::string join() {
    thread_.join();
    return got_;
  }

 private:
  std::string got_;
  std::thread thread_;
};

TEST_F(Cli, OutputToAFifoReachesItsReader) {
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(0, ::mkfifo(fifo.c_str(), 0600)) << std::strerror(errno);
  // Opened read-write, the FIFO has a reader before the CLI opens it (so the
  // CLI's open does not block) and never reports end-of-file; the reader
  // stops after the expected byte count or a silence of 30 s.
  const int fd = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  const auto want = ref_bulk(dist::u32, 2, 0, 0, 100000);
  fifo_reader reader(fd, want.size());
  const auto r = run("generate --seed 2 --count 100000 --output " + fifo.string());
  const std::string got = reader.join();
  ::close(fd);
  EXPECT_EQ(0, r.code) << r.err;
  EXPECT_EQ(want, bytes(got)) << "the reader must receive every byte";
  struct stat st {};
  ASSERT_EQ(0, ::lstat(fifo.c_str(), &st));
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO must stay a FIFO";
  EXPECT_EQ(1, std::distance(fs::directory_iterator(dir_), {})) << "nothing beside the FIFO";
}

TEST_F(Cli, OutputToADeviceNodeKeepsTheNode) {
  // The null device's numbers, as a node in our own directory (never /dev/null).
  const fs::path node = dir_ / "null";
  if (::mknod(node.c_str(), S_IFCHR | 0666, ::makedev(1, 3)) != 0)
    GTEST_SKIP() << "cannot create a device node here (" << std::strerror(errno)
                 << "): needs root or CAP_MKNOD";
  const auto r = run("generate --seed 2 --count 1000 --output " + node.string());
  EXPECT_EQ(0, r.code) << r.err;
  struct stat st {};
  ASSERT_EQ(0, ::lstat(node.c_str(), &st));
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device node was replaced by a regular file";
  EXPECT_EQ(::makedev(1, 3), st.st_rdev);

  // A device that refuses the bytes (the "full" device, 1,7): a write error,
  // exit 1, and the node is still a node.
  const fs::path full = dir_ / "full";
  ASSERT_EQ(0, ::mknod(full.c_str(), S_IFCHR | 0666, ::makedev(1, 7))) << std::strerror(errno);
  const auto f = run("generate --seed 2 --count 100000 --output " + full.string());
  EXPECT_EQ(1, f.code) << f.err;
  EXPECT_NE(std::string::npos, f.err.find("--output")) << f.err;
  ASSERT_EQ(0, ::lstat(full.c_str(), &st));
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(2, std::distance(fs::directory_iterator(dir_), {})) << "no temporary beside the nodes";
}

TEST_F(Cli, OutputThroughASymlinkWritesItsTarget) {
  const auto want = ref_bulk(dist::u32, 2, 0, 0, 1000);
  fs::create_directory(dir_ / "real");
  { std::ofstream(dir_ / "real" / "data.bin") << "old content"; }
  fs::create_symlink("real/data.bin", dir_ / "link");  // relative to the link's directory
  fs::create_symlink(dir_ / "link", dir_ / "link2");   // a chain, absolute
  fs::create_symlink("real/new.bin", dir_ / "dangling");
  for (const char* name : {"link", "link2"}) {
    { std::ofstream(dir_ / "real" / "data.bin") << "old content"; }
    const auto r = run("generate --seed 2 --count 1000 --output " + (dir_ / name).string());
    ASSERT_EQ(0, r.code) << r.err;
    EXPECT_TRUE(fs::is_symlink(dir_ / name)) << name << " must stay a link";
    EXPECT_EQ(want, bytes(slurp(dir_ / "real" / "data.bin"))) << name;
  }
  EXPECT_EQ(fs::path("real/data.bin"), fs::read_symlink(dir_ / "link"));
  // A dangling link: like `>`, its target is created.
  const auto r = run("generate --seed 2 --count 1000 --output " + (dir_ / "dangling").string());
  ASSERT_EQ(0, r.code) << r.err;
  EXPECT_TRUE(fs::is_symlink(dir_ / "dangling"));
  EXPECT_EQ(want, bytes(slurp(dir_ / "real" / "new.bin")));
  EXPECT_EQ(2, std::distance(fs::directory_iterator(dir_ / "real"), {})) << "no temporary left";
}

TEST_F(Cli, OutputFileModeIsWhatARedirectionGives) {
  const fs::path f = dir_ / "out.bin";
  for (const auto& [mask, mode] : {std::pair{"022", 0644}, {"027", 0640}, {"077", 0600}}) {
    fs::remove(f);
    const auto r = run("generate --seed 2 --count 10 --output " + f.string(),
                       std::string("umask ") + mask + ";");
    ASSERT_EQ(0, r.code) << r.err;
    struct stat st {};
    ASSERT_EQ(0, ::stat(f.c_str(), &st));
    EXPECT_EQ(mode, static_cast<int>(st.st_mode & 0777)) << "umask " << mask;
  }
  // An existing file keeps its permissions, as `>` keeps them.
  ASSERT_EQ(0, ::chmod(f.c_str(), 0604));
  const auto r = run("generate --seed 2 --count 10 --output " + f.string(), "umask 022;");
  ASSERT_EQ(0, r.code) << r.err;
  struct stat st {};
  ASSERT_EQ(0, ::stat(f.c_str(), &st));
  EXPECT_EQ(0604, static_cast<int>(st.st_mode & 0777));
}

TEST_F(Cli, OutputNamingADirectoryIsBadInputBeforeAnyWork) {
  const fs::path sub = dir_ / "sub";
  fs::create_directory(sub);
  // No --seed: a run that got as far as drawing numbers would print seed=.
  const auto r = run("generate --count 16777216 --output " + sub.string());
  EXPECT_EQ(2, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("--output")) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("directory")) << r.err;
  EXPECT_EQ(std::string::npos, r.err.find("seed=")) << "no work before the check: " << r.err;
  EXPECT_TRUE(fs::is_empty(sub));
  EXPECT_EQ(1, std::distance(fs::directory_iterator(dir_), {})) << "nothing left beside it";
}

TEST_F(Cli, InterruptedRunLeavesNoTemporary) {
  // With --state-out, two temporaries exist during the run (output and state).
  const std::pair<int, bool> runs[] = {{SIGTERM, false}, {SIGINT, false}, {SIGTERM, true}};
  for (const auto& [sig, save] : runs) {
    const fs::path out = dir_ / "out.bin", log = dir_ / "log", state = dir_ / "state";
    const int want = save ? 2 : 1;
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // 16 GiB requested; a file size limit keeps a run we failed to stop
      // from filling the disk (the write fails instead: SIGXFSZ ignored).
      const rlimit fsize{std::uint64_t{256} << 20, std::uint64_t{256} << 20};
      ::setrlimit(RLIMIT_FSIZE, &fsize);
      ::signal(SIGXFSZ, SIG_IGN);
      ::signal(SIGTERM, SIG_DFL);
      ::signal(SIGINT, SIG_DFL);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      if (save)
        ::execl(GPURAND_CLI, GPURAND_CLI, "generate", "--seed", "1", "--count", "4294967295",
                "--output", out.c_str(), "--state-out", state.c_str(), static_cast<char*>(nullptr));
      else
        ::execl(GPURAND_CLI, GPURAND_CLI, "generate", "--seed", "1", "--count", "4294967295",
                "--output", out.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Wait for the temporary to exist (the run is under way), then interrupt.
    auto temporaries = [&] {
      int n = 0;
      for (const auto& e : fs::directory_iterator(dir_))
        n += e.path().filename().string().find(".tmp.") != std::string::npos;
      return n;
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (temporaries() < want && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(want, temporaries()) << "the run never started writing";
    ::kill(pid, sig);
    int status = 0;
    ASSERT_EQ(pid, ::waitpid(pid, &status, 0));
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig)
        << "the run must end by the signal " << sig << "; status " << status << ": " << slurp(log);
    EXPECT_EQ(0, temporaries()) << "signal " << sig << " left the temporary behind";
    EXPECT_FALSE(fs::exists(out)) << "an interrupted run must not leave a claimed output";
    EXPECT_FALSE(fs::exists(state)) << "nor a state";
    fs::remove(log);
  }
}

// ---------------------------------------------------------------------------
// One parser for every command (CLI11).

TEST_F(Cli, EveryCommandAnswersHelpWithExitZero) {
  for (const char* c : {"generate", "audit", "demo"})
    for (const char* h : {"--help", "-h"}) {
      const auto r = run(std::string(c) + " " + h);
      EXPECT_EQ(0, r.code) << c << " " << h << ": " << r.err;
      EXPECT_NE(std::string::npos, r.out.find("--blocks")) << c << " " << h << ": " << r.out;
      EXPECT_TRUE(r.err.empty()) << c << " " << h << ": " << r.err;
    }
}

TEST_F(Cli, DuplicatedAndUnknownFlagsAreBadInputInEveryCommand) {
  const std::pair<const char*, const char*> cases[] = {
      {"generate --count 5 --count 6", "--count"},
      {"generate --interleave --interleave --blocks 1 --threads 1 --per-thread 1", "--interleave"},
      {"demo --seed 1 --seed 2", "--seed"},
      {"audit --blocks 1 --blocks 1 --threads 1 --per-thread 1 --dtype u32 -", "--blocks"},
      {"generate --count 4 --frobnicate", "--frobnicate"},
      {"demo --frobnicate", "--frobnicate"},
      {"audit --frobnicate --blocks 1 --threads 1 --per-thread 1 --dtype u32 -", "--frobnicate"},
  };
  const fs::path empty = dir_ / "empty";  // stdin for audit, should it ever read
  std::ofstream(empty).close();
  for (const auto& [args, flag] : cases) {
    const auto r = run(std::string(args) + " <" + empty.string());
    EXPECT_EQ(2, r.code) << args << ": " << r.err;
    EXPECT_NE(std::string::npos, r.err.find(flag)) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
}

TEST_F(Cli, GenerateHonoursGpurandBackendUnlessBackendIsGiven) {
  const auto want = ref_bulk(dist::u32, 5, 0, 0, 64);
  const auto bogus = run("generate --seed 5 --count 64", "GPURAND_BACKEND=bogus");
  EXPECT_EQ(2, bogus.code) << bogus.err;
  EXPECT_NE(std::string::npos, bogus.err.find("GPURAND_BACKEND")) << bogus.err;
  EXPECT_NE(std::string::npos, bogus.err.find("bogus")) << bogus.err;
  EXPECT_TRUE(bogus.out.empty());
  // An explicit --backend wins over the environment.
  const auto wins = run("generate --seed 5 --count 64 --backend cpu", "GPURAND_BACKEND=bogus");
  EXPECT_EQ(0, wins.code) << wins.err;
  EXPECT_EQ(want, bytes(wins.out));
  const auto cpu = run("generate --seed 5 --count 64", "GPURAND_BACKEND=cpu");
  EXPECT_EQ(0, cpu.code) << cpu.err;
  EXPECT_EQ(want, bytes(cpu.out));
  if (gpu_available()) GTEST_SKIP() << "a GPU is present: GPURAND_BACKEND=gpu is valid here";
  const auto gpu = run("generate --seed 5 --count 64", "GPURAND_BACKEND=gpu");
  EXPECT_EQ(2, gpu.code) << gpu.err;
  EXPECT_NE(std::string::npos, gpu.err.find("backend=gpu")) << gpu.err;
  EXPECT_TRUE(gpu.out.empty());
}

TEST(CliParseOnly, ChecksWithoutRunning) {
  using cli::command;
  using cli::parse_only;
  std::ostringstream out, err;
  // Valid, though the output directory does not exist: nothing is touched.
  EXPECT_EQ(0, parse_only(command::generate,
                          {"--count", "4", "--output", "/nonexistent/gpurand/x.bin"}, out, err))
      << err.str();
  EXPECT_EQ(0, parse_only(command::audit,
                          {"--blocks", "1", "--threads", "2", "--per-thread", "3", "--dtype", "f64",
                           "/nonexistent/gpurand/x.bin"},
                          out, err))
      << err.str();
  EXPECT_EQ(0, parse_only(command::demo, {"--compare"}, out, err)) << err.str();
  EXPECT_TRUE(out.str().empty());
  for (command c : {command::generate, command::audit, command::demo})
    EXPECT_EQ(0, parse_only(c, {"--help"}, out, err));
  EXPECT_NE(std::string::npos, out.str().find("--per-thread"));
  EXPECT_EQ(2, parse_only(command::generate, {"--count", "1e3"}, out, err));
  EXPECT_EQ(2, parse_only(command::audit, {"--blocks", "1"}, out, err));
  EXPECT_EQ(2, parse_only(command::demo, {"--per-thread", "2"}, out, err));
  EXPECT_NE(std::string::npos, err.str().find("1e3")) << err.str();
}

// ---------------------------------------------------------------------------
// --interleave in bounded memory.

TEST(CliInterleave, PiecesEqualTheTransposeForEveryEngineAndDist) {
  for (engine e : all_engines)
    for (dist d : all_dists)
      for (std::uint64_t threads : {1, 3, 7})
        for (std::uint64_t k : {1, 4, 5})
          // Piece sizes below one row (the per-row path) and above it; rows
          // from a later first row (a resumed run: odd ones start a normal
          // inside its Box-Muller pair).
          for (std::uint64_t piece : {1, 2, 3, 5, 8, 64})
            for (std::uint64_t first_row : {0, 1, 2, 3}) {
              // A variable-draw stream is never resumed at a row (refused by the CLI).
              if (is_variable(d) && first_row != 0) continue;
              grid_request req;
              req.eng = e;
              req.kind = d;
              req.seed = 11;
              req.offset = 6;
              req.first_thread = 2;
              req.threads = threads;
              req.per_thread = k;
              req.backend = backend_kind::cpu;
              set_test_params(req);
              // Poisson in its normal regime: a cached normal between values of a thread.
              detail::fill_params<double> p;
              p.mean = 0.5;
              p.lambda = 4500;
              req.mean = p.mean;
              if (d == dist::poisson) req.lambda = p.lambda;
              std::vector<unsigned char> got;
              cli::detail::write_interleaved(
                  req, piece,
                  [&](const void* v, std::uint64_t n) {
                    EXPECT_LE(n, std::max<std::uint64_t>(piece, 2)) << "a piece over the bound";
                    const auto* b = static_cast<const unsigned char*>(v);
                    got.insert(got.end(), b, b + n * value_size(d));
                  },
                  first_row);
              const std::size_t size = value_size(d);
              std::vector<unsigned char> want(threads * k * size);
              for (std::uint64_t g = 0; g < threads; ++g) {
                const auto s = ref_stream(e, d, 11, 2 + g, 6, first_row + k, p);
                for (std::uint64_t i = 0; i < k; ++i)
                  std::memcpy(want.data() + (i * threads + g) * size,
                              s.data() + (first_row + i) * size, size);
              }
              ASSERT_EQ(want, got) << to_string(e) << "/" << to_string(d) << " threads " << threads
                                   << " rows " << first_row << "+" << k << " piece " << piece;
            }
}

TEST(CliInterleave, MemoryStaysBoundedWhenTwoRowsAreLarge) {
  // 2^25 threads x 2 u32: one row is 128 MiB, and the old approach held two
  // rows at once (256 MiB). The peak resident size of the run must stay far
  // below one row whatever the grid.
#if defined(__SANITIZE_ADDRESS__)
  // An ASan build's resident size counts shadow memory and the quarantine,
  // and the 2^26 values take minutes there; the write_interleaved transpose
  // test covers the same pieces under the sanitizers.
  GTEST_SKIP() << "peak memory is measured in non-ASan builds (the ci preset)";
#endif
  constexpr std::uint64_t blocks = 32768, tpb = 1024, threads = blocks * tpb, k = 2;
  int pipe_fd[2];
  ASSERT_EQ(0, ::pipe(pipe_fd));
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(pipe_fd[1], 1);
    ::close(pipe_fd[0]);
    ::close(pipe_fd[1]);
    ::execl(GPURAND_CLI, GPURAND_CLI, "generate", "--seed", "9", "--offset", "3", "--blocks",
            std::to_string(blocks).c_str(), "--threads", std::to_string(tpb).c_str(),
            "--per-thread", "2", "--interleave", "--backend", "cpu", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipe_fd[1]);
  // Read everything, keeping a few spot checks: value (row, g) is at row * threads + g.
  const std::uint64_t probes[] = {0, 1, 4194303, 4194304, 12345677, threads / 2, threads - 1};
  struct probe {
    std::uint64_t row, g, at;
    unsigned char v[4];
  };
  std::vector<probe> checks;
  for (std::uint64_t row = 0; row < k; ++row)
    for (std::uint64_t g : probes) checks.push_back({row, g, (row * threads + g) * 4, {}});
  std::uint64_t total = 0;
  std::vector<unsigned char> buf(1 << 20);
  for (;;) {
    const ssize_t got = ::read(pipe_fd[0], buf.data(), buf.size());
    if (got <= 0) break;
    const std::uint64_t n = static_cast<std::uint64_t>(got);
    for (probe& c : checks)
      for (std::uint64_t b = 0; b < 4; ++b)
        if (c.at + b >= total && c.at + b < total + n) c.v[b] = buf[c.at + b - total];
    total += n;
  }
  ::close(pipe_fd[0]);
  int status = 0;
  rusage use{};
  ASSERT_EQ(pid, ::wait4(pid, &status, 0, &use));
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(threads * k * 4, total);
  for (const probe& c : checks) {
    const auto s = ref_stream(engine::philox4_32_10, dist::u32, 9, c.g, 3, k);
    EXPECT_EQ(0, std::memcmp(s.data() + c.row * 4, c.v, 4))
        << "thread " << c.g << " draw " << c.row;
  }
  const long peak_mib = use.ru_maxrss / 1024;  // ru_maxrss is in KiB on Linux
  EXPECT_LT(peak_mib, 96) << "peak resident size " << peak_mib << " MiB";
}

// ---------------------------------------------------------------------------
// gpurand audit stops reading one byte past the expected size.

struct audit_run {
  int code;
  std::string out, err;
};

audit_run run_audit(const std::vector<std::string>& args, std::istream& in) {
  std::ostringstream out, err;
  const int code = cli::audit_main(args, in, out, err);
  return {code, out.str(), err.str()};
}

// 2 blocks x 32 threads x 16 u32: 4096 bytes expected.
const std::vector<std::string> audit_shape = {"--blocks",     "2",  "--threads", "32",
                                              "--per-thread", "16", "--dtype",   "u32"};

std::vector<std::string> audit_args(const std::string& file) {
  auto a = audit_shape;
  a.push_back(file);
  return a;
}

TEST(CliAudit, StdinIsReadOnlyOneBytePastTheExpectedSize) {
  std::istringstream in(std::string(4096 + (1 << 20), '\0'));
  const auto r = run_audit(audit_args("-"), in);
  EXPECT_EQ(2, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("longer than blocks*threads*per_thread*size = 4096"))
      << r.err;
  EXPECT_NE(std::string::npos, r.err.find("got 4097 bytes")) << r.err;
  EXPECT_EQ(4097, in.tellg()) << "reading must stop one byte past the expected size";
}

TEST_F(Cli, AuditOfAnEndlessFifoStops) {
  ::signal(SIGPIPE, SIG_IGN);  // the writer learns that the reader left from EPIPE
  const fs::path fifo = dir_ / "fifo";
  ASSERT_EQ(0, ::mkfifo(fifo.c_str(), 0600)) << std::strerror(errno);
  // An endless writer, capped at 256 MiB so that a reader that never stops
  // fails the test instead of hanging it.
  constexpr std::uint64_t cap = std::uint64_t{256} << 20;
  std::atomic<std::uint64_t> written{0};
  std::atomic<bool> stopped_by_reader{false};
  std::thread writer([&] {
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    const std::vector<char> zeros(1 << 16, 0);
    while (written < cap) {
      const ssize_t n = ::write(fd, zeros.data(), zeros.size());
      if (n < 0) {
        stopped_by_reader = errno == EPIPE;
        break;
      }
      written += static_cast<std::uint64_t>(n);
    }
    ::close(fd);
  });
  std::istringstream unused;
  const auto r = run_audit(audit_args(fifo.string()), unused);
  writer.join();
  ::signal(SIGPIPE, SIG_DFL);
  EXPECT_EQ(2, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("longer than blocks*threads*per_thread*size = 4096"))
      << r.err;
  EXPECT_TRUE(stopped_by_reader) << "the audit read all " << written << " bytes";
  EXPECT_LT(written, cap);
}

TEST_F(Cli, AuditOfAFileOneByteTooLong) {
  const fs::path f = dir_ / "long.bin";
  std::ofstream(f, std::ios::binary) << std::string(4097, '\1');
  std::istringstream unused;
  const auto r = run_audit(audit_args(f.string()), unused);
  EXPECT_EQ(2, r.code) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("longer than blocks*threads*per_thread*size = 4096"))
      << r.err;
  EXPECT_NE(std::string::npos, r.err.find("4097")) << r.err;
  // Also through the binary, on stdin.
  const auto cli =
      run("audit --blocks 2 --threads 32 --per-thread 16 --dtype u32 - <" + f.string());
  EXPECT_EQ(2, cli.code) << cli.err;
  EXPECT_NE(std::string::npos, cli.err.find("longer than")) << cli.err;
}

}  // namespace
}  // namespace gpurand::test
