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
#include "gpurand/audit.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand::cli {

namespace {

constexpr const char* kUsage =
    "usage: gpurand audit --blocks B --threads T --per-thread K --dtype u32|f32|f64 "
    "[--window W] [--alpha A] FILE|-";

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

// Reads everything `in` holds into `buf` (8-byte aligned for any dtype),
// keeping at most `expected` bytes; returns the total byte count, surplus
// included, so that a mismatch can say how many bytes there really were. The
// buffer grows by doubling, so a wrong size claim cannot make us allocate
// far more than the input actually holds.
std::uint64_t read_all(std::istream& in, std::uint64_t expected, std::vector<std::uint64_t>& buf,
                       const std::string& name) {
  std::uint64_t have = 0;
  while (have < expected) {
    const std::uint64_t cap = std::min(expected, std::max<std::uint64_t>(2 * have, 1 << 20));
    buf.resize(static_cast<std::size_t>((cap + 7) / 8));
    in.read(reinterpret_cast<char*>(buf.data()) + have, static_cast<std::streamsize>(cap - have));
    have += static_cast<std::uint64_t>(in.gcount());
    if (!in) break;
  }
  if (have == expected && in) {
    char surplus[1 << 16];
    while (in.read(surplus, sizeof surplus), in.gcount() > 0)
      have += static_cast<std::uint64_t>(in.gcount());
  }
  if (in.bad())
    throw Error(errc::io, "reading " + name + " failed after " + std::to_string(have) + " bytes");
  return have;
}

}  // namespace

int audit_main(const std::vector<std::string>& args, std::istream& stdin_stream, std::ostream& out,
               std::ostream& err) {
  try {
    std::optional<std::uint64_t> blocks, threads, per_thread, window;
    std::optional<audit::dtype> type;
    std::optional<double> alpha;
    std::optional<std::string> file;
    bool only_positional = false;
    arg_cursor cur(args);
    while (!cur.done()) {
      const std::string_view peek = cur.peek();
      const bool positional = only_positional || peek == "-" || peek.empty() || peek.front() != '-';
      if (!positional && peek == "--") {
        cur.take();
        only_positional = true;
        continue;
      }
      if (positional) {
        std::string arg = cur.take();
        if (file) bad("unexpected extra argument '" + arg + "' (FILE is already '" + *file + "')");
        file = std::move(arg);
        continue;
      }
      const std::string flag = cur.take();
      auto once = [&](bool seen) {
        if (seen) bad(flag + ": given more than once");
      };
      if (flag == "--blocks") {
        once(blocks.has_value());
        blocks = parse_positive(cur.value(flag), flag);
      } else if (flag == "--threads") {
        once(threads.has_value());
        threads = parse_positive(cur.value(flag), flag);
      } else if (flag == "--per-thread") {
        once(per_thread.has_value());
        per_thread = parse_positive(cur.value(flag), flag);
      } else if (flag == "--dtype") {
        once(type.has_value());
        type = audit::parse_dtype(cur.value(flag), flag);
      } else if (flag == "--window") {
        once(window.has_value());
        window = parse_positive(cur.value(flag), flag);
      } else if (flag == "--alpha") {
        once(alpha.has_value());
        alpha = parse_alpha(cur.value(flag), flag);
      } else {
        bad("unknown flag '" + flag + "'; " + kUsage);
      }
    }
    if (!blocks) bad(std::string("--blocks: required; ") + kUsage);
    if (!threads) bad(std::string("--threads: required; ") + kUsage);
    if (!per_thread) bad(std::string("--per-thread: required; ") + kUsage);
    if (!type) bad(std::string("--dtype: required; ") + kUsage);
    if (!file) bad(std::string("missing input FILE (a path, or - for stdin); ") + kUsage);

    if (window && *window > *per_thread)
      bad("--window: must be at most --per-thread (" + std::to_string(*per_thread) + "), got " +
          std::to_string(*window));

    const std::uint64_t size = audit::value_size(*type);
    const std::string shape = "--blocks " + std::to_string(*blocks) + " x --threads " +
                              std::to_string(*threads) + " x --per-thread " +
                              std::to_string(*per_thread) + " x " + std::to_string(size) +
                              " bytes of " + audit::to_string(*type);
    std::uint64_t n = 0, expected = 0;
    if (__builtin_mul_overflow(*blocks, *threads, &n) ||
        __builtin_mul_overflow(n, *per_thread, &n) || __builtin_mul_overflow(n, size, &expected) ||
        expected > static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max()))
      bad("input size " + shape + " overflows 64 bits");

    std::vector<std::uint64_t> buf;
    std::uint64_t actual = 0;
    const std::string name = *file == "-" ? std::string("stdin") : "'" + *file + "'";
    if (*file == "-") {
      actual = read_all(stdin_stream, expected, buf, name);
    } else {
      std::error_code ec;
      const auto st = std::filesystem::status(*file, ec);
      if (ec || !std::filesystem::exists(st))
        throw Error(errc::io, "cannot open " + name + ": " +
                                  (ec ? ec.message() : std::string("no such file")));
      if (std::filesystem::is_directory(st))
        throw Error(errc::io, "cannot read " + name + ": is a directory");
      if (std::filesystem::is_regular_file(st)) {
        // Check the size before reading so a wrong shape never allocates.
        const std::uint64_t on_disk = std::filesystem::file_size(*file, ec);
        if (!ec && on_disk != expected)
          bad("input size mismatch: expected " + std::to_string(expected) + " bytes (" + shape +
              "), got " + std::to_string(on_disk) + " bytes in " + name);
      }
      std::ifstream in(*file, std::ios::binary);
      if (!in) throw Error(errc::io, "cannot open " + name + ": " + std::strerror(errno));
      actual = read_all(in, expected, buf, name);
    }
    if (actual != expected)
      bad("input size mismatch: expected " + std::to_string(expected) + " bytes (" + shape +
          "), got " + std::to_string(actual) + " bytes from " + name);

    audit::options opts;
    if (window) opts.window = *window;
    if (alpha) opts.alpha = *alpha;
    opts.use_gpu = gpu_available();  // sort with Thrust where a GPU is present
    const audit::report r =
        audit::run(buf.data(), audit::layout{*blocks, *threads, *per_thread, *type}, opts);
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
