// Fuzz target for the CLI's argument parsing: the input picks a command
// (first byte % 3: generate, audit, demo) and the rest, split at NUL bytes,
// is its argv. parse_only must answer 0 (valid, or --help) or 2 (bad input,
// with a message); any other answer, any exception, a crash or a sanitizer
// report is a finding. Nothing is drawn, read or written.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"

namespace {

[[noreturn]] void fail(const std::string& what, const std::vector<std::string>& args) {
  std::string line;
  for (const auto& a : args) line += " '" + a + "'";
  std::fprintf(stderr, "cli_args_fuzz: %s; args:%s\n", what.c_str(), line.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using gpurand::cli::command;
  if (size == 0) return 0;
  const command cmd = static_cast<command>(data[0] % 3);
  std::vector<std::string> args;
  std::string current;
  for (std::size_t i = 1; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  if (size > 1) args.push_back(current);
  if (args.size() > 64) return 0;  // long argv adds nothing but time

  std::ostringstream out, err;
  int code = -1;
  try {
    code = gpurand::cli::parse_only(cmd, args, out, err);
  } catch (const std::exception& e) {
    fail(std::string("exception escaped parse_only: ") + e.what(), args);
  } catch (...) {
    fail("non-standard exception escaped parse_only", args);
  }
  if (code == 2) {
    if (err.str().empty()) fail("exit 2 without a message", args);
  } else if (code == 0) {
    if (!err.str().empty()) fail("exit 0 with an error message: " + err.str(), args);
  } else {
    fail("exit code " + std::to_string(code) + " (want 0 or 2): " + err.str(), args);
  }
  return 0;
}

#ifdef GPURAND_FUZZ_REPLAY
#include "replay_main.hpp"
#endif
