#pragma once
// Running the gpurand CLI as a user runs it, from a test: a fixture with its
// own temporary directory (never a system path) and the shell. Shared by the
// CLI suites (cli_test.cpp, cli_state_test.cpp).

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace gpurand::test {

namespace fs = std::filesystem;

struct result {
  int code;
  std::string out, err;
};

inline std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = (fs::temp_directory_path() / "gpurand_cli_XXXXXX").string();
    ASSERT_NE(nullptr, ::mkdtemp(name.data())) << std::strerror(errno);
    dir_ = name;
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Runs the CLI through the shell; `shell_prefix` runs first (e.g. "umask 022;").
  result run(const std::string& args, const std::string& shell_prefix = "") {
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    const std::string cmd = shell_prefix + " " + std::string(GPURAND_CLI) + " " + args + " >" +
                            out.string() + " 2>" + err.string();
    const int status = std::system(cmd.c_str());
    result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
    fs::remove(out);
    fs::remove(err);
    return r;
  }
  fs::path dir_;
};

inline std::vector<unsigned char> bytes(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace gpurand::test
