#pragma once
// Argument handling shared by the gpurand CLI commands. CLI11 does the
// structure (flags, duplicates, unknown flags, --help, missing values); the
// values stay strings there and are converted afterwards by the strict
// parsers below, so that "1e3", "-0", "+5" or "12abc" are errors and never a
// silently different number. Every failure throws
// gpurand::Error(errc::invalid_argument) with a message that names the flag
// and the offending value; main() turns it into exit code 2.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "gpurand/gpurand.hpp"

namespace gpurand::cli {

/// Parse a decimal unsigned 64-bit integer (no sign, no spaces, no suffix).
inline std::uint64_t parse_u64(std::string_view text, std::string_view flag) {
  auto fail = [&](const char* why) {
    throw Error(errc::invalid_argument,
                std::string(flag) + ": " + why + ", got '" + std::string(text) + "'");
  };
  if (text.empty()) fail("expected a non-negative integer");
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') fail("expected a non-negative integer");
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) fail("value does not fit in 64 bits");
    v = v * 10 + d;
  }
  return v;
}

/// Like parse_u64 but rejects zero ("a count or size of zero or below").
inline std::uint64_t parse_positive(std::string_view text, std::string_view flag) {
  if (!text.empty() && text[0] == '-')
    throw Error(errc::invalid_argument, std::string(flag) + ": must be a positive integer, got '" +
                                            std::string(text) + "'");
  const std::uint64_t v = parse_u64(text, flag);
  if (v == 0)
    throw Error(errc::invalid_argument,
                std::string(flag) + ": must be a positive integer, got '0'");
  return v;
}

/// Parse a finite decimal floating-point number ("1.5", "-2", "1e-3"; not "inf", "nan", "0x1p3",
/// trailing text or spaces).
inline double parse_double(std::string_view text, std::string_view flag) {
  double v = 0;
  const char* end = text.data() + text.size();
  const bool shape = !text.empty() && text.find_first_not_of("0123456789+-.eE") == text.npos;
  const auto r = std::from_chars(text.data(), end, v, std::chars_format::general);
  if (!shape || r.ec != std::errc() || r.ptr != end || !std::isfinite(v))
    throw Error(
        errc::invalid_argument,
        std::string(flag) + ": expected a finite decimal number, got '" + std::string(text) + "'");
  return v;
}

/// Adds a value option kept as text (converted later by the strict parsers).
/// Given twice is an error, like every flag of every command.
inline CLI::Option* add_text(CLI::App& app, const std::string& name, const std::string& value,
                             std::string& into, const std::string& help) {
  return app.add_option(name, into, help)
      ->type_name(value)
      ->multi_option_policy(CLI::MultiOptionPolicy::Throw);
}

/// Adds a switch: no value ("--flag=false" is refused), and not twice.
inline CLI::Option* add_switch(CLI::App& app, const std::string& name, bool& into,
                               const std::string& help) {
  return app.add_flag(name, into, help)
      ->disable_flag_override()
      ->multi_option_policy(CLI::MultiOptionPolicy::Throw);
}

/// The grid flags of `generate` and `audit`: --blocks B, --threads T and --per-thread K, each kept
/// as text (add_text) until read with parse_positive. `mode` begins every description.
class grid_flags {
 public:
  grid_flags(CLI::App& app, const std::string& mode, const std::string& tail = "")
      : opt_{add_text(app, "--blocks", "B", text_[0], mode + "blocks B" + tail),
             add_text(app, "--threads", "T", text_[1], mode + "threads per block T" + tail),
             add_text(app, "--per-thread", "K", text_[2], mode + "values per thread K" + tail)} {}
  void require() {
    for (CLI::Option* o : opt_) o->required();
  }
  /// The flag's positive value; empty when it was not given.
  std::optional<std::uint64_t> blocks() const { return value(0, "--blocks"); }
  std::optional<std::uint64_t> threads() const { return value(1, "--threads"); }
  std::optional<std::uint64_t> per_thread() const { return value(2, "--per-thread"); }

 private:
  std::optional<std::uint64_t> value(int i, const char* flag) const {
    if (opt_[i]->count() == 0) return std::nullopt;
    return parse_positive(text_[i], flag);
  }
  std::string text_[3];  // declared before opt_, whose options write into it
  CLI::Option* opt_[3];
};

/// Runs `app` over `args` (the arguments after the command's name). Returns
/// false when --help/-h was given: the help is then written to `help_out` and
/// the caller stops with exit code 0. Any CLI11 parse error becomes
/// Error(invalid_argument) carrying CLI11's message, which names the flag.
inline bool parse_args(CLI::App& app, const std::vector<std::string>& args,
                       std::ostream& help_out) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    help_out << app.help();
    return false;
  } catch (const CLI::ParseError& e) {
    throw Error(errc::invalid_argument,
                std::string(e.what()) + " (run '" + app.get_name() + " --help')");
  }
  return true;
}

}  // namespace gpurand::cli
