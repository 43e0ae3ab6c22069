#pragma once
// A value's bit pattern, for bit-for-bit comparisons (floats included) in the test suites.

#include <cstdint>
#include <cstring>

namespace gpurand::test {

/// The bits of `v` (at most 8 bytes) as an integer: equal bits, equal results.
template <class T>
std::uint64_t bits(T v) {
  static_assert(sizeof(T) <= 8);
  std::uint64_t b = 0;
  std::memcpy(&b, &v, sizeof v);
  return b;
}

}  // namespace gpurand::test
