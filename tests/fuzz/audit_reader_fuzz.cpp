// Fuzz target for `gpurand audit`'s input reader: the first four bytes pick
// a small shape (blocks 1-4, threads 1-8, per-thread 1-16, dtype u32|f32|f64,
// optionally --window and --alpha) and the rest is the raw input on stdin.
// audit_main must answer 2 exactly when the input is not the expected size,
// 0 or 1 otherwise, never read more than one byte past the expected size,
// and never throw, crash or trip a sanitizer.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "cli/audit_cmd.hpp"

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "audit_reader_fuzz: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::uint64_t blocks = 1 + data[0] % 4, threads = 1 + data[1] % 8,
                      per_thread = 1 + data[2] % 16;
  const char* dtypes[] = {"u32", "f32", "f64"};
  const unsigned type = (data[3] & 3) % 3;
  const std::uint64_t value_size = type == 2 ? 8 : 4;
  std::vector<std::string> args = {
      "--blocks",     std::to_string(blocks),     "--threads", std::to_string(threads),
      "--per-thread", std::to_string(per_thread), "--dtype",   dtypes[type]};
  const std::uint64_t window = 1 + (data[3] >> 4) % per_thread;
  if (data[3] & 4) args.insert(args.end(), {"--window", std::to_string(window)});
  if (data[3] & 8) args.insert(args.end(), {"--alpha", "0.01"});
  args.push_back("-");

  const std::string input(reinterpret_cast<const char*>(data) + 4, size - 4);
  const std::uint64_t expected = blocks * threads * per_thread * value_size;
  std::istringstream in(input);
  std::ostringstream out, err;
  int code = -1;
  try {
    code = gpurand::cli::audit_main(args, in, out, err);
  } catch (const std::exception& e) {
    fail(std::string("exception escaped audit_main: ") + e.what());
  } catch (...) {
    fail("non-standard exception escaped audit_main");
  }
  if (input.size() != expected) {
    if (code != 2)
      fail("wrong-size input (" + std::to_string(input.size()) + " bytes, want " +
           std::to_string(expected) + ") gave exit " + std::to_string(code));
    if (input.size() > expected && in.tellg() != static_cast<std::streamoff>(expected + 1))
      fail("read past expected + 1 bytes on a long input");
  } else if (code != 0 && code != 1) {
    fail("well-sized input gave exit " + std::to_string(code) + ": " + err.str());
  }
  if (code == 2 && err.str().empty()) fail("exit 2 without a message");
  return 0;
}

#ifdef GPURAND_FUZZ_REPLAY
#include "replay_main.hpp"
#endif
