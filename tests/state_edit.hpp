#pragma once
// Editing checkpoint texts in tests (Generator::state(), the CLI's
// --state-out): a field replaced, then the checksum recomputed so that the
// checks behind it are reached. The checksum is computed here from its
// definition (FNV-1a 64 of the text before " check=", in hex; README.md), not
// with the library's code.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace gpurand::test {

/// Recomputes the checksum of an edited state.
inline std::string reseal(const std::string& s) {
  const std::string body = s.substr(0, s.rfind(" check="));
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : body) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char hex[24];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return body + " check=" + hex;
}

/// `s` with its first `from` replaced by `to` (a test failure if there is none).
inline std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(std::string::npos, at) << from << " in " << s;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

}  // namespace gpurand::test
