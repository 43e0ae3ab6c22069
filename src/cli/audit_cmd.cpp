// `gpurand audit`: reads a grid of per-thread streams and prints the audit.

#include "cli/audit_cmd.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <new>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "gpurand/audit.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::cli {

namespace {

[[noreturn]] void bad(const std::string& message) { throw Error(errc::invalid_argument, message); }

double parse_alpha(const std::string& text, const std::string& flag) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (text.empty() || end != begin + text.size() || errno == ERANGE || !std::isfinite(v) ||
      !(v > 0.0 && v < 1.0))
    bad(flag + ": must be a number in (0, 1), got '" + text + "'");
  return v;
}

struct params {
  std::uint64_t blocks = 0, threads = 0, per_thread = 0;
  std::optional<std::uint64_t> window;
  audit::dtype type = audit::dtype::u32;
  std::optional<double> alpha;
  std::string file;
  std::uint64_t expected = 0;  // bytes: blocks * threads * per_thread * size
  std::string shape;           // how `expected` was computed, for messages
};

/// Parses and checks the flags; empty when --help was given (written to `help_out`).
std::optional<params> parse(const std::vector<std::string>& args, std::ostream& help_out) {
  CLI::App app(
      "Check raw per-thread streams for duplicate and overlapping streams and "
      "duplicate values.",
      "gpurand audit");
  app.footer(
      "FILE holds B*T*K raw little-endian values, thread-major; - reads stdin. Numbers are\n"
      "decimal, without sign or suffix. Exit codes: 0 clean, 1 defects found, 2 bad input.");
  std::string dtype_s, window_s, alpha_s, file;
  grid_flags grid(app, "", " (required)");
  grid.require();
  auto* o_dtype = add_text(app, "--dtype", "NAME", dtype_s, "u32|f32|f64 (required)");
  auto* o_window = add_text(app, "--window", "W", window_s, "overlap window W, at most K");
  auto* o_alpha = add_text(app, "--alpha", "A", alpha_s, "significance level in (0, 1)");
  auto* o_file = add_text(app, "FILE", "PATH", file, "input file, or - for stdin");
  for (CLI::Option* o : {o_dtype, o_file}) o->required();
  if (!parse_args(app, args, help_out)) return std::nullopt;

  auto given = [](const CLI::Option* o) { return o->count() > 0; };
  params p;
  p.blocks = *grid.blocks();  // required: given
  p.threads = *grid.threads();
  p.per_thread = *grid.per_thread();
  p.type = audit::parse_dtype(dtype_s, "--dtype");
  if (given(o_window)) p.window = parse_positive(window_s, "--window");
  if (given(o_alpha)) p.alpha = parse_alpha(alpha_s, "--alpha");
  p.file = file;

  if (p.window && *p.window > p.per_thread)
    bad("--window: must be at most --per-thread (" + std::to_string(p.per_thread) + "), got " +
        std::to_string(*p.window));

  const std::uint64_t size = audit::value_size(p.type);
  p.shape = "--blocks " + std::to_string(p.blocks) + " x --threads " + std::to_string(p.threads) +
            " x --per-thread " + std::to_string(p.per_thread) + " x " + std::to_string(size) +
            " bytes of " + audit::to_string(p.type);
  std::uint64_t n = 0;
  if (__builtin_mul_overflow(p.blocks, p.threads, &n) ||
      __builtin_mul_overflow(n, p.per_thread, &n) || __builtin_mul_overflow(n, size, &p.expected) ||
      p.expected > static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max()))
    bad("input size " + p.shape + " overflows 64 bits");
  return p;
}

[[noreturn]] void too_long(const params& p, const std::string& name) {
  bad("input size mismatch: expected " + std::to_string(p.expected) + " bytes (" + p.shape +
      "), got " + std::to_string(p.expected + 1) + " bytes or more from " + name +
      ": the input is longer than blocks*threads*per_thread*size = " + std::to_string(p.expected) +
      " bytes (reading stopped there)");
}

// Reads at most `expected` + 1 bytes of `in` into `buf` (8-byte aligned for
// any dtype) and returns how many it got: `expected` + 1 means the input is
// too long, and reading stops there, so an endless source (a device, a pipe
// that never closes) cannot keep us reading. The buffer grows by doubling,
// so a wrong size claim cannot make us allocate far more than the input
// actually holds.
std::uint64_t read_at_most(std::istream& in, std::uint64_t expected,
                           std::vector<std::uint64_t>& buf, const std::string& name) {
  std::uint64_t have = 0;
  while (have < expected) {
    const std::uint64_t cap = std::min(expected, std::max<std::uint64_t>(2 * have, 1 << 20));
    buf.resize(static_cast<std::size_t>((cap + 7) / 8));
    in.read(reinterpret_cast<char*>(buf.data()) + have, static_cast<std::streamsize>(cap - have));
    have += static_cast<std::uint64_t>(in.gcount());
    if (!in) break;
  }
  if (have == expected && in) {
    char one;
    if (in.read(&one, 1), in.gcount() == 1) ++have;  // one byte past the end: enough to know
  }
  if (in.bad())
    throw Error(errc::io, "reading " + name + " failed after " + std::to_string(have) + " bytes");
  return have;
}

}  // namespace

namespace detail {
bool check_audit_args(const std::vector<std::string>& args, std::ostream& out) {
  return parse(args, out).has_value();
}
}  // namespace detail

int audit_main(const std::vector<std::string>& args, std::istream& stdin_stream, std::ostream& out,
               std::ostream& err) {
  try {
    const std::optional<params> parsed = parse(args, out);
    if (!parsed) return 0;  // --help
    const params& p = *parsed;
    std::vector<std::uint64_t> buf;
    std::uint64_t actual = 0;
    const std::string name = p.file == "-" ? std::string("stdin") : "'" + p.file + "'";
    if (p.file == "-") {
      actual = read_at_most(stdin_stream, p.expected, buf, name);
    } else {
      std::error_code ec;
      const auto st = std::filesystem::status(p.file, ec);
      if (ec || !std::filesystem::exists(st))
        throw Error(errc::io, "cannot open " + name + ": " +
                                  (ec ? ec.message() : std::string("no such file")));
      if (std::filesystem::is_directory(st))
        throw Error(errc::io, "cannot read " + name + ": is a directory");
      if (std::filesystem::is_regular_file(st)) {
        // Check the size before reading so a wrong shape never allocates.
        const std::uint64_t on_disk = std::filesystem::file_size(p.file, ec);
        if (!ec && on_disk > p.expected)
          bad("input size mismatch: expected " + std::to_string(p.expected) + " bytes (" + p.shape +
              "), got " + std::to_string(on_disk) + " bytes in " + name +
              ": the input is longer than blocks*threads*per_thread*size = " +
              std::to_string(p.expected) + " bytes");
        if (!ec && on_disk != p.expected)
          bad("input size mismatch: expected " + std::to_string(p.expected) + " bytes (" + p.shape +
              "), got " + std::to_string(on_disk) + " bytes in " + name);
      }
      std::ifstream in(p.file, std::ios::binary);
      if (!in) throw Error(errc::io, "cannot open " + name + ": " + std::strerror(errno));
      actual = read_at_most(in, p.expected, buf, name);
    }
    if (actual > p.expected) too_long(p, name);
    if (actual != p.expected)
      bad("input size mismatch: expected " + std::to_string(p.expected) + " bytes (" + p.shape +
          "), got " + std::to_string(actual) + " bytes from " + name);

    audit::options opts;
    if (p.window) opts.window = *p.window;
    if (p.alpha) opts.alpha = *p.alpha;
    opts.use_gpu = gpu_available();  // sort with Thrust where a GPU is present
    const audit::report r =
        audit::run(buf.data(), audit::layout{p.blocks, p.threads, p.per_thread, p.type}, opts);
    out << audit::format(r);
    return r.clean() ? 0 : 1;
  } catch (const Error& e) {
    err << "gpurand audit: error: " << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    err << "gpurand audit: error: not enough memory for the input and the audit\n";
    return 2;
  }
}

}  // namespace gpurand::cli
