#include "integers.hpp"

#include <limits>
#include <vector>

namespace gpurand::python {
namespace {

/// One Lemire step for a w-bit word x (w = 32 or 64) and span s in [1, 2^w].
/// Returns false when x must be rejected (the low part fell in the biased zone).
bool lemire32(std::uint32_t x, std::uint64_t span, std::uint64_t& result) {
  if (span == (std::uint64_t{1} << 32)) {  // the whole word: nothing to reject
    result = x;
    return true;
  }
  const std::uint64_t m = std::uint64_t{x} * span;
  const std::uint32_t low = static_cast<std::uint32_t>(m);
  const std::uint32_t s = static_cast<std::uint32_t>(span);
  if (low < s) {
    const std::uint32_t threshold = static_cast<std::uint32_t>(-s) % s;  // 2^32 mod s
    if (low < threshold) return false;
  }
  result = m >> 32;
  return true;
}

bool lemire64(std::uint64_t x, std::uint64_t span_minus_1, std::uint64_t& result) {
  if (span_minus_1 == std::numeric_limits<std::uint64_t>::max()) {  // span = 2^64
    result = x;
    return true;
  }
  const std::uint64_t s = span_minus_1 + 1;
  const unsigned __int128 m = static_cast<unsigned __int128>(x) * s;
  const std::uint64_t low = static_cast<std::uint64_t>(m);
  if (low < s) {
    const std::uint64_t threshold = (0 - s) % s;  // 2^64 mod s
    if (low < threshold) return false;
  }
  result = static_cast<std::uint64_t>(m >> 64);
  return true;
}

}  // namespace

template <class T>
void integers(Generator& gen, std::uint64_t low, std::uint64_t span_minus_1, T* out,
              std::size_t n) {
  if (n == 0) return;
  if (out == nullptr) throw Error(errc::invalid_argument, "out: null pointer");
  const bool wide = span_minus_1 >= (std::uint64_t{1} << 32);
  const std::size_t words = wide ? 2 : 1;
  if (n > std::numeric_limits<std::size_t>::max() / words)
    throw Error(errc::invalid_argument, "size: too large for 64-bit draws");
  std::vector<std::size_t> pending;  // indices still to be drawn, increasing
  std::vector<std::uint32_t> bits;
  std::size_t todo = n;
  bool first = true;
  while (todo > 0) {
    bits.resize(todo * words);
    gen.generate(bits.data(), bits.size());
    std::vector<std::size_t> rejected;
    for (std::size_t j = 0; j < todo; ++j) {
      const std::size_t i = first ? j : pending[j];
      std::uint64_t u;
      const bool ok =
          wide ? lemire64(bits[2 * j] | (std::uint64_t{bits[2 * j + 1]} << 32), span_minus_1, u)
               : lemire32(bits[j], span_minus_1 + 1, u);
      if (ok)
        out[i] = static_cast<T>(low + u);  // in range by the caller's check: no wrap in T
      else
        rejected.push_back(i);
    }
    pending.swap(rejected);
    todo = pending.size();
    first = false;
  }
}

template void integers<std::int32_t>(Generator&, std::uint64_t, std::uint64_t, std::int32_t*,
                                     std::size_t);
template void integers<std::int64_t>(Generator&, std::uint64_t, std::uint64_t, std::int64_t*,
                                     std::size_t);
template void integers<std::uint32_t>(Generator&, std::uint64_t, std::uint64_t, std::uint32_t*,
                                      std::size_t);
template void integers<std::uint64_t>(Generator&, std::uint64_t, std::uint64_t, std::uint64_t*,
                                      std::size_t);

}  // namespace gpurand::python
