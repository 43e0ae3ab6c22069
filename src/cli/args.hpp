#pragma once
// Small argument helpers shared by the gpurand CLI commands. Every parse
// failure throws gpurand::Error(errc::invalid_argument) with a message that
// names the flag and the offending value; main() turns it into exit code 2.

#include <cstdint>
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

/// Walks argv-style arguments, supporting "--flag value" and "--flag=value".
class arg_cursor {
 public:
  explicit arg_cursor(std::vector<std::string> args) : args_(std::move(args)) {}
  bool done() const { return i_ >= args_.size(); }
  /// The current argument; for "--flag=value" only the "--flag" part.
  std::string_view peek() const {
    std::string_view a = args_[i_];
    const auto eq = a.find('=');
    return (a.rfind("--", 0) == 0 && eq != std::string_view::npos) ? a.substr(0, eq) : a;
  }
  /// Consume the current argument and return it (flag part only).
  std::string take() {
    std::string a = args_[i_];
    const auto eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      pending_ = a.substr(eq + 1);
      has_pending_ = true;
      a = a.substr(0, eq);
    }
    ++i_;
    return a;
  }
  /// The value of the flag just taken, from "=value" or the next argument.
  std::string value(std::string_view flag) {
    if (has_pending_) {
      has_pending_ = false;
      return pending_;
    }
    if (done()) throw Error(errc::invalid_argument, std::string(flag) + ": missing value");
    return args_[i_++];
  }
  /// Throws if a flag given as "--flag=value" did not expect a value.
  void no_value(std::string_view flag) {
    if (has_pending_)
      throw Error(errc::invalid_argument,
                  std::string(flag) + ": takes no value, got '" + pending_ + "'");
  }

 private:
  std::vector<std::string> args_;
  std::size_t i_ = 0;
  std::string pending_;
  bool has_pending_ = false;
};

}  // namespace gpurand::cli
