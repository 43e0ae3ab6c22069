#pragma once
// Internals shared by the audit's pipeline (src/audit/): sort.cpp sorts keys,
// streams.cpp finds duplicate and overlapping streams, values.cpp holds the
// value models and the duplicate-value test, format.cpp names and prints,
// run.cpp validates and runs the checks in order. Not installed.
//
// How it scales: nothing compares threads pairwise. Each check builds one
// 64-bit key per item (a whole stream, or a window of `w` consecutive values):
// the high bits are a hash of the item's bits and the low bits its index, so
// that after one sort equal items sit next to each other, in index order.
// Candidates with equal hash bits are then compared against the data, so a
// hash collision costs a memcmp and never a false report. The sort is an
// in-place MSD radix sort (no scratch buffer, so extra memory stays at 8 bytes
// per window), parallel on the library's executor below its first digit, or
// Thrust on the GPU when asked for and available.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "backend/cpu/parallel.hpp"
#include "gpurand/audit.hpp"
#include "gpurand/gpurand.hpp"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the audit reads raw little-endian values and assumes a little-endian host"
#endif

namespace gpurand::audit::detail {

using u64 = std::uint64_t;
__extension__ typedef unsigned __int128 u128;  // __extension__: quiet under -Wpedantic

[[noreturn]] inline void invalid(const std::string& message) {
  throw Error(errc::invalid_argument, message);
}

inline unsigned bit_width(u64 v) {
  unsigned b = 0;
  while (v != 0) {
    ++b;
    v >>= 1;
  }
  return b;
}

inline u64 clamp_u64(u128 v) {
  return v > std::numeric_limits<u64>::max() ? std::numeric_limits<u64>::max()
                                             : static_cast<u64>(v);
}

inline u128 pairs_of(u64 m) { return static_cast<u128>(m) * (m - (m > 0 ? 1 : 0)) / 2; }

// ---------------------------------------------------------------------------
// Threads

// Runs fn(chunk, begin, end) over `chunks` contiguous chunks of [0, n) (at
// most n of them) on the library's one executor (backend/cpu/parallel.hpp): on up to
// `chunks` threads, fewer if threads cannot be created; rethrows the first
// exception after joining. A chunk index is a task, not a thread, so per-chunk
// results never depend on how many threads really ran.
template <class Fn>
void parallel_chunks(unsigned chunks, u64 n, Fn&& fn) {
  if (chunks == 0) chunks = 1;
  if (n < chunks) chunks = static_cast<unsigned>(std::max<u64>(n, 1));
  auto bound = [&](u64 c) { return static_cast<u64>(static_cast<u128>(n) * c / chunks); };
  ::gpurand::detail::parallel_for(
      chunks, chunks, [&](u64 c) { fn(static_cast<unsigned>(c), bound(c), bound(c + 1)); });
}

// ---------------------------------------------------------------------------
// The grid view

template <class Word>
struct grid {
  const Word* data;
  u64 threads;
  u64 per_block;
  u64 k;
  const Word* stream(u64 g) const { return data + g * k; }
  Word at(u64 g, u64 p) const { return data[g * k + p]; }
  bool same(u64 g1, u64 p1, u64 g2, u64 p2, u64 len) const {
    const Word* x = data + g1 * k + p1;
    const Word* y = data + g2 * k + p2;
    if (len > 8) return std::memcmp(x, y, len * sizeof(Word)) == 0;
    for (u64 i = 0; i < len; ++i)  // short windows: inline, no library call
      if (x[i] != y[i]) return false;
    return true;
  }
  thread_ref ref(u64 g) const { return thread_ref{g / per_block, g % per_block, g}; }
};

// Keeps the `cap` smallest items under `less` seen so far, in bounded memory.
template <class T, class Less>
class smallest {
 public:
  smallest(std::size_t cap, Less less) : cap_(cap), less_(less) {}
  void push(const T& x) {
    if (cap_ == 0) return;
    items_.push_back(x);
    if (items_.size() >= 2 * cap_ + 64) shrink();
  }
  void absorb(const smallest& other) {
    for (const T& x : other.items_) push(x);
  }
  std::vector<T> sorted() {
    shrink();
    std::sort(items_.begin(), items_.end(), less_);
    return items_;
  }

 private:
  void shrink() {
    if (items_.size() <= cap_) return;
    std::nth_element(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(cap_),
                     items_.end(), less_);
    items_.resize(cap_);
  }
  std::size_t cap_;
  Less less_;
  std::vector<T> items_;
};

struct raw_match {
  u64 a, b, lag, a_pos, b_pos;
};
struct raw_less {
  bool operator()(const raw_match& x, const raw_match& y) const {
    if (x.a != y.a) return x.a < y.a;
    if (x.b != y.b) return x.b < y.b;
    if (x.lag != y.lag) return x.lag < y.lag;
    return x.b_pos < y.b_pos;
  }
};
using match_list = smallest<raw_match, raw_less>;

// Spacing of the Real grid just above |x|.
template <class Real>
double ulp_above(Real x) {
  const Real a = std::fabs(x);
  return static_cast<double>(std::nextafter(a, std::numeric_limits<Real>::infinity())) -
         static_cast<double>(a);
}

inline bool is_normal(value_model m) {
  return m == value_model::normal_f32 || m == value_model::normal_f64;
}

template <class Word>
double as_real(Word w) {
  if constexpr (sizeof(Word) == 4) {
    float f;
    std::memcpy(&f, &w, 4);
    return f;
  } else {
    double d;
    std::memcpy(&d, &w, 8);
    return d;
  }
}

// +0 and -0 compare equal as numbers; every other value compares by its bits.
template <class Word>
Word canonical(Word w, bool is_float) {
  constexpr Word sign = static_cast<Word>(Word{1} << (8 * sizeof(Word) - 1));
  return (is_float && w == sign) ? Word{0} : w;
}

// ---------------------------------------------------------------------------
// The stages (definitions in the files named)

// sort.cpp: ascending sort of unsigned keys (u32, u64) on `workers` threads.
template <class Key>
void parallel_radix_sort(Key* a, std::size_t n, unsigned workers);
// sort.cpp: the same for the checks' 64-bit keys, on the GPU when
// opts.use_gpu and a device is usable (sets used_gpu), else on the CPU.
void sort_keys(std::vector<u64>& keys, const options& opts, unsigned workers, bool& used_gpu);

// streams.cpp: check 1. Marks each thread that repeats a lower thread's stream.
template <class Word>
void find_duplicate_streams(const grid<Word>& gr, const options& opts, unsigned workers,
                            std::vector<unsigned char>& is_dup, report& r);
// streams.cpp: check 2, over windows of `w` values of the non-duplicate threads.
template <class Word>
void find_overlaps(const grid<Word>& gr, u64 w, const std::vector<unsigned char>& is_dup,
                   const options& opts, unsigned workers, report& r);
// streams.cpp: check 2b, normal models: overlaps of the raw draws behind the
// Box-Muller pairs (Real: the values' type; mean/stddev: the fitted ones).
template <class Real, class Word>
void find_draw_overlaps(const grid<Word>& gr, const std::vector<unsigned char>& is_dup, double mean,
                        double stddev, const options& opts, unsigned workers, report& r);

// values.cpp: picks the model and, for normals, fits mean and stddev;
// false for a "normal" sample that fits no model.
template <class Word>
bool fit_model(const grid<Word>& gr, dtype type, const options& opts, unsigned workers,
               value_result& v);
// values.cpp: check 3, the duplicate-value test under the fitted model.
template <class Word>
void check_values(const grid<Word>& gr, dtype type, bool fitted, const options& opts,
                  unsigned workers, report& r);
// values.cpp: whether a model describes values of dtype t (automatic fits all).
bool model_fits(value_model m, dtype t);

// format.cpp
std::string fmt_double(double x, int precision = 4);
std::string fmt_ref(const thread_ref& t);

}  // namespace gpurand::audit::detail
