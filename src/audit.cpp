// The audit: duplicate streams, overlapping streams and duplicate values over a
// grid of per-thread streams. See include/gpurand/audit.hpp for the contract.
//
// How it scales: nothing compares threads pairwise. Each check builds one
// 64-bit key per item (a whole stream, or a window of `w` consecutive values):
// the high bits are a hash of the item's bits and the low bits its index, so
// that after one sort equal items sit next to each other, in index order.
// Candidates with equal hash bits are then compared against the data, so a
// hash collision costs a memcmp and never a false report. The sort is an
// in-place MSD radix sort (no scratch buffer, so extra memory stays at 8 bytes
// per window), parallel over std::threads below its first digit, or Thrust on
// the GPU when asked for and available.

#include "gpurand/audit.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <iomanip>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "gpurand/gpurand.hpp"
#include "parallel.hpp"

#if defined(GPURAND_HAVE_CUDA) && GPURAND_HAVE_CUDA
// Relative so that no extra include directory is needed for the kernels folder.
#include "../kernels/audit_sort.hpp"
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the audit reads raw little-endian values and assumes a little-endian host"
#endif

namespace gpurand::audit {

namespace {

using u64 = std::uint64_t;
__extension__ typedef unsigned __int128 u128;  // __extension__: quiet under -Wpedantic

[[noreturn]] void invalid(const std::string& message) {
  throw Error(errc::invalid_argument, message);
}

unsigned bit_width(u64 v) {
  unsigned b = 0;
  while (v != 0) {
    ++b;
    v >>= 1;
  }
  return b;
}

u64 clamp_u64(u128 v) {
  return v > std::numeric_limits<u64>::max() ? std::numeric_limits<u64>::max()
                                             : static_cast<u64>(v);
}

u128 pairs_of(u64 m) { return static_cast<u128>(m) * (m - (m > 0 ? 1 : 0)) / 2; }

// ---------------------------------------------------------------------------
// Threads

// Runs fn(chunk, begin, end) over `chunks` contiguous chunks of [0, n) (at
// most n of them) on the library's one executor (parallel.hpp): on up to
// `chunks` threads, fewer if threads cannot be created; rethrows the first
// exception after joining. A chunk index is a task, not a thread, so per-chunk
// results never depend on how many threads really ran.
template <class Fn>
void parallel_chunks(unsigned chunks, u64 n, Fn&& fn) {
  if (chunks == 0) chunks = 1;
  if (n < chunks) chunks = static_cast<unsigned>(std::max<u64>(n, 1));
  auto bound = [&](u64 c) { return static_cast<u64>(static_cast<u128>(n) * c / chunks); };
  detail::parallel_for(chunks, chunks,
                       [&](u64 c) { fn(static_cast<unsigned>(c), bound(c), bound(c + 1)); });
}

// ---------------------------------------------------------------------------
// In-place MSD radix sort (American flag sort) for unsigned keys.

template <class Key>
inline unsigned digit_at(Key k, int shift) {
  return static_cast<unsigned>(k >> shift) & 0xFFu;
}

// The next digit below `shift`; a last digit narrower than 8 bits is taken as
// bits [7:0], which is fine because the bits above it are equal in a bucket.
inline int lower_shift(int shift) { return shift >= 8 ? shift - 8 : (shift > 0 ? 0 : -1); }

// Permutes a[0, n) so that keys are grouped by digit; `count` holds the digit
// histogram, `start` receives the 257 bucket boundaries.
template <class Key>
void flag_permute(Key* a, const std::size_t* count, std::size_t* start, int shift) {
  std::size_t next[256];
  start[0] = 0;
  for (unsigned b = 0; b < 256; ++b) {
    start[b + 1] = start[b] + count[b];
    next[b] = start[b];
  }
  for (unsigned b = 0; b < 256; ++b) {
    const std::size_t end = start[b + 1];
    while (next[b] < end) {
      Key v = a[next[b]];
      unsigned d = digit_at(v, shift);
      while (d != b) {
        std::swap(v, a[next[d]++]);
        d = digit_at(v, shift);
      }
      a[next[b]++] = v;
    }
  }
}

template <class Key>
void radix_sort_serial(Key* a, std::size_t n, int shift) {
  if (n < 2) return;
  if (n <= 512 || shift < 0) {
    std::sort(a, a + n);
    return;
  }
  std::size_t count[256] = {};
  for (std::size_t i = 0; i < n; ++i) ++count[digit_at(a[i], shift)];
  std::size_t start[257];
  flag_permute(a, count, start, shift);
  const int next = lower_shift(shift);
  if (next < 0) return;
  for (unsigned b = 0; b < 256; ++b) radix_sort_serial(a + start[b], count[b], next);
}

template <class Key>
void parallel_radix_sort(Key* a, std::size_t n, unsigned workers) {
  if (n < 2) return;
  // Skip the leading bits every key shares, so that the first digit really
  // splits the data (values from a small set, floats in (0, 1]).
  std::vector<Key> ors(workers, Key{0}), ands(workers, static_cast<Key>(~Key{0}));
  parallel_chunks(workers, n, [&](unsigned w, u64 b, u64 e) {
    Key o = 0, x = static_cast<Key>(~Key{0});
    for (u64 i = b; i < e; ++i) {
      o |= a[i];
      x &= a[i];
    }
    ors[w] = o;
    ands[w] = x;
  });
  Key any = 0, all = static_cast<Key>(~Key{0});
  for (unsigned w = 0; w < workers; ++w) {
    any |= ors[w];
    all &= ands[w];
  }
  const Key differ = static_cast<Key>(any ^ all);
  if (differ == 0) return;  // all keys equal
  const int top = static_cast<int>(bit_width(static_cast<u64>(differ))) - 1;
  const int shift = std::max(0, top - 7);
  if (workers <= 1 || n < (std::size_t{1} << 16)) {
    radix_sort_serial(a, n, shift);
    return;
  }
  std::vector<std::size_t> partial(static_cast<std::size_t>(workers) * 256, 0);
  parallel_chunks(workers, n, [&](unsigned w, u64 b, u64 e) {
    std::size_t* c = partial.data() + static_cast<std::size_t>(w) * 256;
    for (u64 i = b; i < e; ++i) ++c[digit_at(a[i], shift)];
  });
  std::size_t count[256] = {};
  for (unsigned w = 0; w < workers; ++w)
    for (unsigned b = 0; b < 256; ++b) count[b] += partial[static_cast<std::size_t>(w) * 256 + b];
  std::size_t start[257];
  flag_permute(a, count, start, shift);  // one pass; the buckets then sort independently
  const int next = lower_shift(shift);
  if (next < 0) return;
  std::vector<unsigned> order(256);
  for (unsigned b = 0; b < 256; ++b) order[b] = b;
  std::sort(order.begin(), order.end(),
            [&](unsigned x, unsigned y) { return count[x] > count[y]; });
  std::atomic<unsigned> taken{0};
  parallel_chunks(workers, workers, [&](unsigned, u64, u64) {
    for (unsigned i = taken++; i < 256; i = taken++) {
      const unsigned b = order[i];
      radix_sort_serial(a + start[b], count[b], next);
    }
  });
}

void sort_keys(std::vector<u64>& keys, const options& opts, unsigned workers, bool& used_gpu) {
#if defined(GPURAND_HAVE_CUDA) && GPURAND_HAVE_CUDA
  if (opts.use_gpu && keys.size() > 1) {
    try {
      if (detail::gpu_sort_u64(keys.data(), keys.size())) {
        used_gpu = true;
        return;
      }
    } catch (const std::runtime_error& e) {
      throw Error(errc::cuda_error, std::string("audit: ") + e.what());
    }
  }
#else
  (void)opts;
  (void)used_gpu;
#endif
  parallel_radix_sort(keys.data(), keys.size(), workers);
}

// ---------------------------------------------------------------------------
// Hashing. premix is a bijection of the value bits (so equal windows stay
// equal and different ones differ), then a polynomial rolling hash mod 2^64
// and a final bijective finaliser whose high bits become the key.

inline u64 fmix64(u64 k) {  // MurmurHash3's 64-bit finaliser (public domain)
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}
inline u64 premix(u64 v) { return fmix64(v ^ 0x5851f42d4c957f2dULL); }
constexpr u64 kBase = 0x9e3779b97f4a7c15ULL;  // odd, so multiplication is invertible

u64 power(u64 b, u64 e) {
  u64 r = 1;
  while (e != 0) {
    if (e & 1) r *= b;
    b *= b;
    e >>= 1;
  }
  return r;
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

// Splits a run of keys with equal hash bits into classes of equal content
// (hash collisions separate here) and calls on_class(members) for each class
// of two or more, members in increasing index order.
template <class Same, class OnClass>
void split_by_content(const u64* idx, std::size_t m, std::vector<std::size_t>& heads,
                      std::vector<std::size_t>& cls, std::vector<u64>& members, Same same,
                      OnClass on_class) {
  if (m == 2) {
    if (same(idx[0], idx[1])) {
      members.assign(idx, idx + 2);
      on_class(members);
    }
    return;
  }
  heads.clear();
  cls.assign(m, 0);
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; i < m; ++i) {
    std::size_t h = 0;
    while (h < heads.size() && !same(idx[heads[h]], idx[i])) ++h;
    if (h == heads.size()) {
      heads.push_back(i);
      sizes.push_back(0);
    }
    cls[i] = h;
    ++sizes[h];
  }
  for (std::size_t h = 0; h < heads.size(); ++h) {
    if (sizes[h] < 2) continue;
    members.clear();
    for (std::size_t i = 0; i < m; ++i)
      if (cls[i] == h) members.push_back(idx[i]);
    on_class(members);
  }
}

// ---------------------------------------------------------------------------
// Check 1: duplicate streams

template <class Word>
void find_duplicate_streams(const grid<Word>& gr, const options& opts, unsigned workers,
                            std::vector<unsigned char>& is_dup, report& r) {
  const u64 threads = gr.threads;
  is_dup.assign(threads, 0);
  if (threads < 2) return;
  const u64 mask = (u64{1} << bit_width(threads - 1)) - 1;  // < 2^64 since threads fit in memory
  std::vector<u64> keys(threads);
  parallel_chunks(workers, threads, [&](unsigned, u64 b, u64 e) {
    for (u64 g = b; g < e; ++g) {
      const Word* s = gr.stream(g);
      u64 h = 0;
      for (u64 t = 0; t < gr.k; ++t) h = h * kBase + premix(s[t]);
      keys[g] = (fmix64(h) & ~mask) | g;
    }
  });
  sort_keys(keys, opts, workers, r.used_gpu);

  match_list listed(opts.max_listed, raw_less{});
  std::vector<std::size_t> heads, cls;
  std::vector<u64> members, idx;
  auto same = [&](u64 x, u64 y) { return gr.same(x, 0, y, 0, gr.k); };
  for (std::size_t i = 0; i < keys.size();) {
    std::size_t j = i + 1;
    while (j < keys.size() && (keys[j] & ~mask) == (keys[i] & ~mask)) ++j;
    if (j - i >= 2) {
      idx.clear();
      for (std::size_t t = i; t < j; ++t) idx.push_back(keys[t] & mask);
      split_by_content(idx.data(), idx.size(), heads, cls, members, same,
                       [&](const std::vector<u64>& c) {
                         for (std::size_t t = 1; t < c.size(); ++t) {
                           is_dup[c[t]] = 1;
                           ++r.duplicate_threads;
                           listed.push(raw_match{c[0], c[t], 0, 0, 0});
                         }
                       });
    }
    i = j;
  }
  for (const raw_match& m : listed.sorted())
    r.duplicates.push_back(stream_match{gr.ref(m.a), gr.ref(m.b), 0, 0, 0, gr.k});
}

// ---------------------------------------------------------------------------
// Check 2: overlapping streams

// Classes of equal windows up to this size offer all their pairs as listing
// candidates; larger ones (stuck or short-period streams, a stream split whose
// offsets overlap many times) offer neighbours in thread order, so listing
// stays linear. Counting is exact either way.
constexpr std::size_t kFullClass = 16;

template <class Word>
void find_overlaps(const grid<Word>& gr, u64 w, const std::vector<unsigned char>& is_dup,
                   const options& opts, unsigned workers, report& r) {
  const u64 threads = gr.threads;
  const u64 per = gr.k - w + 1;  // windows per thread
  const u64 total = threads * per;
  const unsigned index_bits = bit_width(total - 1);
  const u64 mask = index_bits >= 64 ? ~u64{0} : (u64{1} << index_bits) - 1;

  // Each worker owns a contiguous range of threads; its keys start after the
  // windows of the non-duplicate threads before it.
  const unsigned chunks = static_cast<unsigned>(std::min<u64>(std::max(workers, 1u), threads));
  std::vector<u64> first(chunks + 1, 0);
  std::vector<u64> reps_in(chunks, 0);
  parallel_chunks(chunks, threads, [&](unsigned c, u64 b, u64 e) {
    u64 n = 0;
    for (u64 g = b; g < e; ++g) n += is_dup[g] ? 0 : 1;
    reps_in[c] = n;
  });
  for (unsigned c = 0; c < chunks; ++c) first[c + 1] = first[c] + reps_in[c] * per;
  std::vector<u64> keys(first[chunks]);
  const u64 top = power(kBase, w - 1);
  parallel_chunks(chunks, threads, [&](unsigned c, u64 b, u64 e) {
    u64* out = keys.data() + first[c];
    for (u64 g = b; g < e; ++g) {
      if (is_dup[g]) continue;
      const Word* s = gr.stream(g);
      u64 h = 0;
      for (u64 t = 0; t < w; ++t) h = h * kBase + premix(s[t]);
      const u64 base = g * per;
      *out++ = (fmix64(h) & ~mask) | base;
      for (u64 p = 1; p < per; ++p) {
        h = (h - premix(s[p - 1]) * top) * kBase + premix(s[p + w - 1]);
        *out++ = (fmix64(h) & ~mask) | (base + p);
      }
    }
  });
  sort_keys(keys, opts, workers, r.used_gpu);

  // Scan groups of equal hash bits in parallel; chunk borders move forward to
  // the start of a group so that no group is split.
  const std::size_t n = keys.size();
  std::vector<std::size_t> border(workers + 1);
  for (unsigned c = 0; c <= workers; ++c) {
    std::size_t b = static_cast<std::size_t>(static_cast<u128>(n) * c / workers);
    if (c > 0) b = std::max(b, border[c - 1]);
    while (b > 0 && b < n && (keys[b] & ~mask) == (keys[b - 1] & ~mask)) ++b;
    border[c] = b;
  }
  struct partial {
    u128 runs = 0;
    u128 pairs = 0;
    bool complete = true;
    match_list listed{0, raw_less{}};
  };
  std::vector<partial> parts(workers);
  for (auto& p : parts) p.listed = match_list(opts.max_listed, raw_less{});
  auto same = [&](u64 x, u64 y) { return gr.same(x / per, x % per, y / per, y % per, w); };
  parallel_chunks(workers, workers, [&](unsigned c, u64, u64) {
    partial& part = parts[c];
    std::vector<std::size_t> heads, cls;
    std::vector<u64> members, idx;
    std::vector<Word> before;
    // Two equal windows start a maximal run unless the values just before
    // both are equal too (then the run started earlier). Only starts count.
    auto list_if_start = [&](u64 x, u64 y) {
      u64 gx = x / per, px = x % per, gy = y / per, py = y % per;
      if (px < py || (px == py && gx > gy)) {
        std::swap(gx, gy);
        std::swap(px, py);
      }
      if (py == 0 || gr.at(gx, px - 1) != gr.at(gy, py - 1))
        part.listed.push(raw_match{gx, gy, px - py, px, py});
    };
    auto on_class = [&](const std::vector<u64>& m) {
      const u128 pairs = pairs_of(m.size());
      part.pairs += pairs;
      // Starts = all pairs minus the pairs whose preceding values agree:
      // group the members not at position 0 by the value before them.
      before.clear();
      for (u64 x : m)
        if (x % per != 0) before.push_back(gr.at(x / per, x % per - 1));
      std::sort(before.begin(), before.end());
      u128 continuing = 0;
      for (std::size_t i = 0; i < before.size();) {
        std::size_t j = i + 1;
        while (j < before.size() && before[j] == before[i]) ++j;
        continuing += pairs_of(j - i);
        i = j;
      }
      part.runs += pairs - continuing;
      if (m.size() <= kFullClass) {
        for (std::size_t a = 0; a < m.size(); ++a)
          for (std::size_t b = a + 1; b < m.size(); ++b) list_if_start(m[a], m[b]);
      } else {
        part.complete = false;
        for (std::size_t a = 0; a + 1 < m.size(); ++a) list_if_start(m[a], m[a + 1]);
      }
    };
    for (std::size_t i = border[c]; i < border[c + 1];) {
      std::size_t j = i + 1;
      while (j < n && (keys[j] & ~mask) == (keys[i] & ~mask)) ++j;
      if (j - i >= 2) {
        idx.clear();
        for (std::size_t t = i; t < j; ++t) idx.push_back(keys[t] & mask);
        split_by_content(idx.data(), idx.size(), heads, cls, members, same, on_class);
      }
      i = j;
    }
  });
  keys = std::vector<u64>();  // release before the caller's value check allocates

  match_list all(opts.max_listed, raw_less{});
  u128 pairs = 0, runs = 0;
  for (auto& p : parts) {
    runs += p.runs;
    pairs += p.pairs;
    r.overlap_list_complete = r.overlap_list_complete && p.complete;
    all.absorb(p.listed);
  }
  r.overlap_runs = clamp_u64(runs);
  r.matched_window_pairs = clamp_u64(pairs);
  for (const raw_match& m : all.sorted()) {
    u64 len = 0;
    while (m.a_pos + len < gr.k && gr.at(m.a, m.a_pos + len) == gr.at(m.b, m.b_pos + len)) ++len;
    r.overlaps.push_back(stream_match{gr.ref(m.a), gr.ref(m.b), m.lag, m.a_pos, m.b_pos, len});
  }
}

// ---------------------------------------------------------------------------
// Check 3: duplicate values

constexpr double kTwo32 = 4294967296.0;
// cuRAND's curand_kernel.h: MRG32K3A_MOD1 and MRG32K3A_NORM.
constexpr double kMrgM1 = 4294967087.0;
constexpr double kMrgNorm = 2.3283065498378288e-10;

// Whether d is x * MRG32K3A_NORM (rounded as cuRAND's double product) for an
// integer x in [1, m1].
bool on_mrg32k3a_grid(double d) {
  const double x = std::nearbyint(d / kMrgNorm);
  return x >= 1 && x <= kMrgM1 && x * kMrgNorm == d;
}

// Exact collision moments of curand_uniform: y = float(x) * 2^-32 + 2^-33 in
// float arithmetic for x uniform on [0, 2^32). y is monotone in x, so every
// value y has an interval of preimages; we walk all of them and sum the
// squared and cubed interval lengths. x < 2^24 converts exactly and is walked
// one by one; above, every float u = float(x) collects the integers that
// round to it (to nearest, ties to an even significand).
collision_moments compute_uniform_f32() {
  const float scale = 0x1p-32f;  // CURAND_2POW32_INV
  const float half = 0x1p-33f;   // CURAND_2POW32_INV / 2
  long double s2 = 0, s3 = 0;
  u64 total = 0;
  float prev = -1.0f;
  u64 run = 0;
  auto flush = [&] {
    const long double c = static_cast<long double>(run);
    s2 += c * c;
    s3 += c * c * c;
  };
  auto emit = [&](float y, u64 c) {
    total += c;
    if (y == prev) {
      run += c;
      return;
    }
    if (run != 0) flush();
    prev = y;
    run = c;
  };
  // u * 2^-32 is exact, so a fused multiply-add would round the same way: the
  // result does not depend on -ffp-contract.
  for (u64 x = 0; x < (u64{1} << 24); ++x) emit(static_cast<float>(x) * scale + half, 1);
  std::uint32_t bits;
  const float lo = 16777216.0f, hi = 4294967296.0f;
  std::memcpy(&bits, &lo, 4);
  std::uint32_t last;
  std::memcpy(&last, &hi, 4);
  for (; bits <= last; ++bits) {
    float u;
    std::memcpy(&u, &bits, 4);
    const int s = static_cast<int>((bits >> 23) & 0xFF) - 127 - 23;  // spacing 2^s above u
    const u64 m = (bits & 0x7FFFFFu) | 0x800000u;
    const u64 uu = static_cast<u64>(u);
    const u64 below = (m == 0x800000u) ? (u64{1} << (s - 1)) : (u64{1} << s);
    const u128 l2 = 2 * static_cast<u128>(uu) - below;  // twice the lower midpoint
    const u128 h2 = 2 * static_cast<u128>(uu) + (u64{1} << s);
    u128 xlo = l2 / 2 + 1, xhi = (h2 + 1) / 2 - 1;
    if ((m & 1) == 0) {  // an even significand wins both ties
      if (l2 % 2 == 0) xlo = l2 / 2;
      if (h2 % 2 == 0) xhi = h2 / 2;
    }
    xhi = std::min<u128>(xhi, (u64{1} << 32) - 1);
    emit(u * scale + half, static_cast<u64>(xhi - xlo + 1));
  }
  flush();
  if (total != (u64{1} << 32))
    throw std::logic_error("audit: uniform_f32 preimages do not cover 2^32 inputs");
  const long double n = 4294967296.0L;
  return collision_moments{static_cast<double>(s2 / (n * n)),
                           static_cast<double>(s3 / (n * n * n))};
}

// erf(b) - erf(a) without cancellation in the tails.
double erf_diff(double a, double b) {
  if (a >= 0) return std::erfc(a) - std::erfc(b);
  if (b <= 0) return std::erfc(-b) - std::erfc(-a);
  return std::erf(b) - std::erf(a);
}

// Integrals of phi^2 * ulp and phi^3 * ulp^2 over [lo, hi] for the standard
// normal density phi and a fixed grid spacing `ulp`: erf differences.
collision_moments normal_cell_integrals(double lo, double hi, double ulp) {
  const double pi = 3.14159265358979323846;
  const double c2 = 1.0 / (4.0 * std::sqrt(pi));
  const double c3 = std::pow(2.0 * pi, -1.5) * 0.5 * std::sqrt(2.0 * pi / 3.0);
  const double r3 = std::sqrt(1.5);
  return collision_moments{ulp * c2 * erf_diff(lo, hi),
                           ulp * ulp * c3 * erf_diff(r3 * lo, r3 * hi)};
}

// Spacing of the Real grid just above |x|.
template <class Real>
double ulp_above(Real x) {
  const Real a = std::fabs(x);
  return static_cast<double>(std::nextafter(a, std::numeric_limits<Real>::infinity())) -
         static_cast<double>(a);
}

// Collision moments of y = fl(fl(z * stddev) + mean) in Real arithmetic (what
// Generator::normal and a kernel computing `z * stddev + mean` produce), for z
// a standard normal on the Real grid, hit with probability p_z ~ phi(z) *
// ulp(z) (Box-Muller's resolution is finer than the grid; checked by Monte
// Carlo in the tests). Scaling by a stddev that is not a power of two maps
// the z grid onto the y grid unevenly: some y collect two (or 40) z points,
// others none. So q2 = sum_y P(y)^2 is not the integral of f_y^2 * ulp(y);
// with runs of c_y consecutive z points per y, it is the integral of
// phi^2 * ulp(z) * R2 over z, where R2 = sum c^2 / sum c is the local mean
// run length seen from a z point (and R3 = sum c^3 / sum c for q3). R2 is
// constant wherever the spacings of z, z * stddev and y are, so the z axis is
// cut where any of them changes binade, and R2 is measured in each piece by
// walking 8192 consecutive z points through the exact rounding. Where runs
// are longer than that (y much coarser than z), R2 is the mean run length
// ulp(y) / (stddev * ulp(z)): the smooth model, exact in that limit.
template <class Real>
collision_moments transformed_normal_moments(double mean, double stddev) {
  constexpr int mant = std::numeric_limits<Real>::digits - 1;
  constexpr int emin = std::numeric_limits<Real>::min_exponent - 1;  // lowest normal binade
  constexpr int emax = 4;  // |z| >= 32 has no mass worth counting (and Box-Muller never gives it)
  const Real s = static_cast<Real>(stddev), m = static_cast<Real>(mean);
  const double sd = static_cast<double>(s), md = static_cast<double>(m);
  auto transform = [&](Real z) {
    const Real p = z * s;  // two roundings, as the generator (-ffp-contract=off)
    return static_cast<Real>(p + m);
  };
  // Anything below this adds less than 1e-13 of the result (which is at least
  // the integral of phi^2 * ulp, about 2^-(mant + 3)).
  const double negligible = 1e-13 * std::ldexp(1.0, -mant - 3);
  collision_moments q;
  auto piece = [&](double p, double r, double ulp_z) {
    const collision_moments base = normal_cell_integrals(p, r, ulp_z);
    if (base.q2 == 0 && base.q3 == 0) return;
    const Real mid = static_cast<Real>(0.5 * (p + r));
    const double ulp_eff =
        std::max(ulp_above<Real>(static_cast<Real>(mid * s)), ulp_above<Real>(transform(mid)));
    const double mean_run = std::max(1.0, ulp_eff / (sd * ulp_z));
    double r2 = mean_run, r3 = mean_run * mean_run;
    if (mean_run <= 256 && base.q2 * mean_run >= negligible) {
      constexpr int steps = 8192;
      Real z = mid, prev = transform(z);
      double c = 1, s1 = 0, s2 = 0, s3 = 0;
      bool first = true;
      for (int i = 0; i < steps; ++i) {
        z = std::nextafter(z, std::numeric_limits<Real>::infinity());
        const Real y = transform(z);
        if (y == prev) {  // numerically: -0 and +0 are one value, as the audit counts
          ++c;
          continue;
        }
        if (!first) {  // the first and the last run are cut by the window
          s1 += c;
          s2 += c * c;
          s3 += c * c * c;
        }
        first = false;
        prev = y;
        c = 1;
      }
      if (s1 >= 16 * mean_run) {
        r2 = s2 / s1;
        r3 = s3 / s1;
      }
    }
    q.q2 += base.q2 * r2;
    q.q3 += base.q3 * r3;
  };
  std::vector<double> cuts;
  for (int sign : {1, -1}) {
    for (int e = emin; e <= emax; ++e) {
      const double ulp_z = std::ldexp(1.0, e - mant);
      const double lo = std::ldexp(1.0, e), hi = std::ldexp(1.0, e + 1);
      const double a = sign > 0 ? lo : -hi, b = sign > 0 ? hi : -lo;
      cuts.assign({a, b});
      auto cut = [&](double z) {
        if (z > a && z < b) cuts.push_back(z);
      };
      // Where |z * stddev| changes binade.
      const double lo_s = std::min(std::fabs(a * sd), std::fabs(b * sd));
      const double hi_s = std::max(std::fabs(a * sd), std::fabs(b * sd));
      for (int k = std::ilogb(lo_s); k <= std::ilogb(hi_s) + 1; ++k)
        cut(sign * std::ldexp(1.0, k) / sd);
      // Where |y| changes binade, for binades coarse enough to matter (y's
      // spacing only counts where it is not finer than that of z * stddev).
      const double y_hi = std::max(std::fabs(a * sd + md), std::fabs(b * sd + md));
      if (y_hi >= lo_s / 4)
        for (int k = std::ilogb(lo_s / 4); k <= std::ilogb(y_hi) + 1; ++k) {
          cut((std::ldexp(1.0, k) - md) / sd);
          cut((-std::ldexp(1.0, k) - md) / sd);
        }
      std::sort(cuts.begin(), cuts.end());
      for (std::size_t i = 0; i + 1 < cuts.size(); ++i) piece(cuts[i], cuts[i + 1], ulp_z);
    }
  }
  // Subnormal z: one spacing; their mass is far below anything that counts.
  const double sub = std::ldexp(1.0, emin);
  const collision_moments tiny = normal_cell_integrals(-sub, sub, std::ldexp(1.0, emin - mant));
  const double run = std::max(1.0, ulp_above<Real>(m) / (sd * std::ldexp(1.0, emin - mant)));
  q.q2 += tiny.q2 * run;
  q.q3 += tiny.q3 * run * run;
  return q;
}

// Regularized lower incomplete gamma P(a, x) (Numerical Recipes' series and
// continued fraction; Wilson-Hilferty beyond a = 1e6, where both are slow and
// the approximation is accurate to well under the precision alpha needs).
double gamma_p(double a, double x) {
  if (x <= 0) return 0.0;
  if (a > 1e6) {
    const double t = 1.0 / (9.0 * a);
    const double z = (std::cbrt(x / a) - (1.0 - t)) / std::sqrt(t);
    return 0.5 * std::erfc(-z / std::sqrt(2.0));
  }
  const double log_front = -x + a * std::log(x) - std::lgamma(a);
  const double eps = 1e-15;
  if (x < a + 1.0) {
    double ap = a, del = 1.0 / a, sum = del;
    for (int i = 0; i < 100000000; ++i) {
      ap += 1.0;
      del *= x / ap;
      sum += del;
      if (std::fabs(del) < std::fabs(sum) * eps) break;
    }
    return std::min(1.0, sum * std::exp(log_front));
  }
  const double tiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 100000000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) < eps) break;
  }
  return std::max(0.0, 1.0 - std::exp(log_front) * h);
}

bool model_fits(value_model m, dtype t) {
  switch (m) {
    case value_model::automatic: return true;
    case value_model::u32: return t == dtype::u32;
    case value_model::uniform_f32:
    case value_model::normal_f32: return t == dtype::f32;
    case value_model::uniform_f64_32bit:
    case value_model::uniform_f64_53bit:
    case value_model::uniform_f64_mrg32k3a:
    case value_model::normal_f64: return t == dtype::f64;
  }
  return false;
}

// `x` rounded to the fewest decimal places that stay within `tolerance` of
// it (and positive if asked). The normal model needs the exact scale and
// shift the generator used, since they decide which grid points merge; users
// pass short decimals (3, 0.1, -2), which a fit within 4 standard errors
// recovers. Other values stay as fitted.
double snap_decimal(double x, double tolerance, bool positive) {
  for (int d = 0; d <= 17; ++d) {
    const double scale = std::pow(10.0, d);
    const double c = std::round(x * scale) / scale + 0.0;  // + 0.0: no -0
    if (std::fabs(c - x) <= tolerance && (!positive || c > 0)) return c;
  }
  return x;
}

bool is_normal(value_model m) {
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

// Picks the value model and, for normals, fits the mean and stddev. Returns
// false for a "normal" sample that fits no model (constant or non-finite).
template <class Word>
bool fit_model(const grid<Word>& gr, dtype type, const options& opts, unsigned workers,
               value_result& v) {
  const u64 n = gr.threads * gr.k;
  v.values = n;
  v.alpha = opts.alpha;
  v.model_inferred = opts.model == value_model::automatic;
  v.model = v.model_inferred ? infer_model(gr.data, type, n) : opts.model;

  bool fitted = true;
  if (is_normal(v.model)) {
    std::vector<double> sums(workers, 0.0), squares(workers, 0.0);
    parallel_chunks(workers, n, [&](unsigned w, u64 b, u64 e) {
      double s = 0;
      for (u64 i = b; i < e; ++i) s += as_real(gr.data[i]);
      sums[w] = s;
    });
    double mean = 0;
    for (double s : sums) mean += s;
    mean /= static_cast<double>(n);
    parallel_chunks(workers, n, [&](unsigned w, u64 b, u64 e) {
      double s = 0;
      for (u64 i = b; i < e; ++i) {
        const double d = as_real(gr.data[i]) - mean;
        s += d * d;
      }
      squares[w] = s;
    });
    double ss = 0;
    for (double s : squares) ss += s;
    const double sd = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : 0.0;
    const double root_n = std::sqrt(static_cast<double>(n));
    v.mean = snap_decimal(mean, 4 * sd / root_n, false);
    v.stddev = snap_decimal(sd, 4 * sd / (std::sqrt(2.0) * root_n), true);
    fitted = std::isfinite(v.mean) && std::isfinite(v.stddev) && v.stddev > 0;
  }
  return fitted;
}

template <class Word>
void check_values(const grid<Word>& gr, dtype type, bool fitted, const options& opts,
                  unsigned workers, report& r) {
  value_result& v = r.values;
  const u64 n = gr.threads * gr.k;
  const bool is_float = type != dtype::u32;
  std::vector<Word> sorted(n);
  parallel_chunks(workers, n, [&](unsigned, u64 b, u64 e) {
    for (u64 i = b; i < e; ++i) sorted[i] = canonical(gr.data[i], is_float);
  });
  parallel_radix_sort(sorted.data(), sorted.size(), workers);
  u128 pairs = 0;
  // Examples: the most repeated values first (a small value set shows up as
  // high multiplicities), then the smallest.
  using counted = std::pair<u64, Word>;
  auto more_first = [](const counted& x, const counted& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  };
  smallest<counted, decltype(more_first)> top(opts.max_listed, more_first);
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i + 1;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    if (j - i >= 2) {
      pairs += pairs_of(j - i);
      top.push(counted{j - i, sorted[i]});
    }
    i = j;
  }
  sorted = std::vector<Word>();
  const std::vector<counted> ranked = top.sorted();
  v.equal_pairs = clamp_u64(pairs);

  const double nd = static_cast<double>(n);
  const double c2 = nd * (nd - 1) / 2, c3 = c2 * (nd - 2) / 3;
  if (fitted) {
    const collision_moments q = collision_probabilities(v.model, v.mean, v.stddev);
    v.collision_probability = q.q2;
    v.expected = c2 * q.q2;
    // Var of a pair count: C(n,2)(q2 - q2^2) + 6 C(n,3)(q3 - q2^2). The second
    // term (pairs sharing a value index) makes coarse-grid data overdispersed.
    v.variance = c2 * (q.q2 - q.q2 * q.q2) + 6 * c3 * std::max(0.0, q.q3 - q.q2 * q.q2);
    const double dispersion = v.expected > 0 ? std::max(1.0, v.variance / v.expected) : 1.0;
    v.p_value = poisson_upper_tail(v.expected, static_cast<double>(v.equal_pairs), dispersion);
  } else {
    // A constant or non-finite "normal" sample fits no model: any repeat is suspect.
    v.p_value = v.equal_pairs > 0 ? 0.0 : 1.0;
  }
  v.flagged = v.p_value < opts.alpha;

  if (v.flagged && !ranked.empty()) {
    // Name the first two positions of each listed value; one pass over the data.
    std::vector<Word> examples;
    for (const counted& c : ranked) examples.push_back(c.second);
    std::vector<Word> lookup = examples;
    std::sort(lookup.begin(), lookup.end());
    std::vector<std::pair<u64, u64>> where(examples.size(), {~u64{0}, ~u64{0}});
    std::size_t complete = 0;
    for (u64 i = 0; i < n && complete < examples.size(); ++i) {
      const Word x = canonical(gr.data[i], is_float);
      const auto it = std::lower_bound(lookup.begin(), lookup.end(), x);
      if (it == lookup.end() || *it != x) continue;
      const std::size_t e = static_cast<std::size_t>(
          std::find(examples.begin(), examples.end(), x) - examples.begin());
      auto& slot = where[e];
      if (slot.first == ~u64{0}) {
        slot.first = i;
      } else if (slot.second == ~u64{0}) {
        slot.second = i;
        ++complete;
      }
    }
    for (std::size_t e = 0; e < examples.size(); ++e) {
      const u64 a = where[e].first, b = where[e].second;
      v.examples.push_back(value_pair{gr.ref(a / gr.k), a % gr.k, gr.ref(b / gr.k), b % gr.k,
                                      static_cast<u64>(examples[e]), ranked[e].first});
    }
  }
}

// ---------------------------------------------------------------------------
// Check 2b: overlapping normal streams, through the raw draws behind them
//
// A Box-Muller pair consumes two raw draws (four for doubles); a stream that
// restarts one raw draw later pairs them differently and shares no value
// with the original. So for the normal models each pair is inverted back to
// its draws: with (x, y) = ((a - mean) / stddev, (b - mean) / stddev) =
// s * (sin t, cos t) and s = sqrt(-2 log u) (cuRAND's _curand_box_muller and
// _curand_box_muller_double), u = exp(-(x^2 + y^2) / 2) and t = atan2(x, y).
//  - float: u = r0 * 2^-32 + 2^-33 and t = r1 * 2pi 2^-32 + pi 2^-32 give
//    both draws; their top bits (14 when the values carry full precision)
//    are the keys.
//  - double: u = zx * 2^-53 + 2^-54 with zx = r0 ^ (r1 << 21), and
//    t = pi (zy * 2^-52 + 2^-53) with zy = r2 ^ (r3 << 21); zx bits 11..20 are
//    r0's bits 11..20 and zx bits 32..41 are r1's, so every draw, in either
//    position of a pair, gives its bits 11..20 (fewer when the values are
//    coarser, e.g. after a large shift).
// Each thread's values are paired both ways (from its value 0 and from its
// value 1), since a shifted stream may split pairs at the other phase; the
// key sequences are matched like u32 streams, on windows of >= 128 key bits,
// and a match is reported in raw draws: position 2i + c (4i + c for doubles)
// is component c of the pair starting at value i.

template <class Real>
struct draw_keys {
  static constexpr bool is_double = sizeof(Real) == 8;
  static constexpr u64 per_pair = is_double ? 4 : 2;   // keys (raw draws) per value pair
  static constexpr u64 per_value = is_double ? 2 : 1;  // raw draws per value
  double mean, stddev;
  int shift;  // float: keys are raw >> shift; double: bits [shift, 21) of each draw
  unsigned bits;

  draw_keys(double m, double s) : mean(m), stddev(s) {
    // Resolution of a recovered z: the output spacing around |mean| + 2
    // stddev, scaled back, or the type's own relative precision.
    const Real around = static_cast<Real>(std::fabs(m) + 2 * s);
    const double res =
        std::max(std::ldexp(1.0, is_double ? -51 : -22), ulp_above<Real>(around) / s);
    const int err = std::max(0, std::ilogb(res * std::ldexp(1.0, is_double ? 53 : 32)) + 1);
    if (is_double) {
      shift = std::clamp(err + 6, 11, 17);
      bits = static_cast<unsigned>(21 - shift);
    } else {
      bits = static_cast<unsigned>(std::clamp(32 - err - 6, 6, 14));
      shift = 32 - static_cast<int>(bits);
    }
  }

  void pair(Real a, Real b, std::uint32_t* out) const {
    const double pi = 3.14159265358979323846;
    const double x = (static_cast<double>(a) - mean) / stddev;
    const double y = (static_cast<double>(b) - mean) / stddev;
    const double u = std::exp(-0.5 * (x * x + y * y));
    double t = std::atan2(x, y);
    if (t < 0) t += 2 * pi;
    if constexpr (is_double) {
      const u64 zx = to_int(u * 0x1p53 - 0.5, 0x1p53);
      const u64 zy = to_int(t / pi * 0x1p52 - 0.5, 0x1p53);
      const u64 mask = (u64{1} << bits) - 1;
      out[0] = static_cast<std::uint32_t>((zx >> shift) & mask);
      out[1] = static_cast<std::uint32_t>((zx >> (21 + shift)) & mask);
      out[2] = static_cast<std::uint32_t>((zy >> shift) & mask);
      out[3] = static_cast<std::uint32_t>((zy >> (21 + shift)) & mask);
    } else {
      out[0] = static_cast<std::uint32_t>(to_int(u * 0x1p32 - 0.5, 0x1p32) >> shift);
      out[1] = static_cast<std::uint32_t>(to_int(t / (2 * pi) * 0x1p32 - 0.5, 0x1p32) >> shift);
    }
  }

  static u64 to_int(double v, double limit) {
    if (!(v > 0)) return 0;  // also NaN from a non-finite value
    if (v >= limit - 1) return static_cast<u64>(limit - 1);
    return static_cast<u64>(v);
  }
};

template <class Real, class Word>
void find_draw_overlaps(const grid<Word>& gr, const std::vector<unsigned char>& is_dup, double mean,
                        double stddev, const options& opts, unsigned workers, report& r) {
  using keys_t = draw_keys<Real>;
  const keys_t kd(mean, stddev);
  const u64 pairs = gr.k / 2;  // pairs from value 0; from value 1 there are (k - 1) / 2
  const u64 len = pairs * keys_t::per_pair;
  const u64 w = (128 + kd.bits - 1) / kd.bits;
  r.draw_window = w;
  r.draw_key_bits = kd.bits;
  r.draw_checks_run = len >= w;
  if (!r.draw_checks_run) return;

  // Stream 2g + phase holds thread g's keys paired from value `phase`. The
  // second phase has one pair fewer when k is even: its tail holds keys that
  // match nothing (above every real key, distinct per position).
  const u64 streams = 2 * gr.threads;
  std::vector<std::uint32_t> keys(streams * len);
  parallel_chunks(workers, gr.threads, [&](unsigned, u64 b, u64 e) {
    for (u64 g = b; g < e; ++g) {
      const Word* v = gr.stream(g);
      for (u64 phase = 0; phase < 2; ++phase) {
        std::uint32_t* out = keys.data() + (2 * g + phase) * len;
        const u64 have = (gr.k - phase) / 2;
        for (u64 i = 0; i < have; ++i) {
          const u64 at = phase + 2 * i;
          kd.pair(static_cast<Real>(as_real(v[at])), static_cast<Real>(as_real(v[at + 1])),
                  out + i * keys_t::per_pair);
        }
        for (u64 j = have * keys_t::per_pair; j < len; ++j)
          out[j] =
              0x80000000u | static_cast<std::uint32_t>(((2 * g + phase) * len + j) & 0x7FFFFFFFu);
      }
    }
  });
  std::vector<unsigned char> skip(streams);
  for (u64 g = 0; g < gr.threads; ++g) skip[2 * g] = skip[2 * g + 1] = is_dup[g];

  const grid<std::uint32_t> kg{keys.data(), streams, 2, len};
  report scratch;
  find_overlaps(kg, w, skip, opts, workers, scratch);
  keys = std::vector<std::uint32_t>();
  r.draw_overlap_runs = scratch.overlap_runs;
  r.draw_matched_window_pairs = scratch.matched_window_pairs;
  r.draw_overlap_list_complete = scratch.overlap_list_complete;
  // Back to threads and raw-draw coordinates (phase 1 starts one value in).
  for (const stream_match& m : scratch.overlaps) {
    const u64 ga = m.a.global / 2, gb = m.b.global / 2;
    const u64 pa = m.a_pos + (m.a.global % 2) * keys_t::per_value;
    const u64 pb = m.b_pos + (m.b.global % 2) * keys_t::per_value;
    stream_match d{gr.ref(ga), gr.ref(gb), 0, pa, pb, m.length};
    if (pa < pb || (pa == pb && ga > gb)) {
      std::swap(d.a, d.b);
      std::swap(d.a_pos, d.b_pos);
    }
    d.lag = d.a_pos - d.b_pos;
    r.draw_overlaps.push_back(d);
  }
}

template <class Word>
report run_typed(const Word* data, const layout& shape, const options& opts, u64 w,
                 unsigned workers) {
  report r;
  r.shape = shape;
  r.window = w;
  const grid<Word> gr{data, shape.blocks * shape.threads_per_block, shape.threads_per_block,
                      shape.per_thread};
  const bool fitted = fit_model(gr, shape.type, opts, workers, r.values);
  r.stream_checks_run = shape.per_thread >= w;
  std::vector<unsigned char> is_dup(gr.threads, 0);
  if (r.stream_checks_run) {
    find_duplicate_streams(gr, opts, workers, is_dup, r);
    find_overlaps(gr, w, is_dup, opts, workers, r);
  }
  if (is_normal(r.values.model) && fitted) {
    if constexpr (sizeof(Word) == 4)
      find_draw_overlaps<float>(gr, is_dup, r.values.mean, r.values.stddev, opts, workers, r);
    else
      find_draw_overlaps<double>(gr, is_dup, r.values.mean, r.values.stddev, opts, workers, r);
  }
  check_values(gr, shape.type, fitted, opts, workers, r);
  return r;
}

std::string fmt_double(double x, int precision = 4) {
  std::ostringstream s;
  s << std::setprecision(precision) << x;
  return s.str();
}

std::string fmt_ref(const thread_ref& t) {
  return "(block " + std::to_string(t.block) + ", thread " + std::to_string(t.thread) + ")";
}

}  // namespace

// ---------------------------------------------------------------------------
// Public functions

const char* to_string(dtype t) noexcept {
  switch (t) {
    case dtype::u32: return "u32";
    case dtype::f32: return "f32";
    case dtype::f64: return "f64";
  }
  return "?";
}

const char* to_string(value_model m) noexcept {
  switch (m) {
    case value_model::automatic: return "auto";
    case value_model::u32: return "u32";
    case value_model::uniform_f32: return "uniform_f32";
    case value_model::uniform_f64_32bit: return "uniform_f64_32bit";
    case value_model::uniform_f64_53bit: return "uniform_f64_53bit";
    case value_model::normal_f32: return "normal_f32";
    case value_model::normal_f64: return "normal_f64";
    case value_model::uniform_f64_mrg32k3a: return "uniform_f64_mrg32k3a";
  }
  return "?";
}

dtype parse_dtype(std::string_view text, std::string_view what) {
  for (dtype t : {dtype::u32, dtype::f32, dtype::f64})
    if (text == to_string(t)) return t;
  invalid(std::string(what) + ": expected u32, f32 or f64, got '" + std::string(text) + "'");
}

value_model parse_value_model(std::string_view text, std::string_view what) {
  for (value_model m :
       {value_model::automatic, value_model::u32, value_model::uniform_f32,
        value_model::uniform_f64_32bit, value_model::uniform_f64_53bit, value_model::normal_f32,
        value_model::normal_f64, value_model::uniform_f64_mrg32k3a})
    if (text == to_string(m)) return m;
  invalid(std::string(what) +
          ": expected auto, u32, uniform_f32, uniform_f64_32bit, uniform_f64_53bit, normal_f32, "
          "normal_f64 or uniform_f64_mrg32k3a, got '" +
          std::string(text) + "'");
}

std::size_t value_size(dtype t) noexcept { return t == dtype::f64 ? 8 : 4; }

collision_moments collision_probabilities(value_model m, double mean, double stddev) {
  switch (m) {
    case value_model::u32:
    case value_model::uniform_f64_32bit:
      // 2^32 equally likely values; (x + 1) * 2^-32 in double is injective.
      return collision_moments{1.0 / kTwo32, 1.0 / (kTwo32 * kTwo32)};
    case value_model::uniform_f64_53bit: {
      // z = x ^ (y << 21) is uniform on 2^53 values; y = z * 2^-53 + 2^-54
      // rounds: z < 2^52 stay distinct, above that pairs {2j-1, 2j} share
      // 2j * 2^-53 (ties to even), except the single preimages of 0.5 and 1.
      // So sum c^2 = 2^52 + 4 (2^51 - 1) + 2 and sum c^3 = 2^52 + 8 (2^51 - 1) + 2.
      const double t52 = std::ldexp(1.0, 52);
      return collision_moments{(3.0 * t52 - 2.0) * std::ldexp(1.0, -106),
                               (5.0 * t52 - 6.0) * std::ldexp(1.0, -159)};
    }
    case value_model::uniform_f64_mrg32k3a:
      // x * MRG32K3A_NORM for x in [1, m1]: products 2^-32 apart, far above
      // the double spacing, so m1 distinct values, equally likely.
      return collision_moments{1.0 / kMrgM1, 1.0 / (kMrgM1 * kMrgM1)};
    case value_model::uniform_f32: {
      static const collision_moments q = compute_uniform_f32();  // ~0.2 s, once
      return q;
    }
    case value_model::normal_f32:
    case value_model::normal_f64:
      if (!(stddev > 0) || !std::isfinite(stddev) || !std::isfinite(mean))
        invalid("stddev: must be positive and finite, got " + fmt_double(stddev));
      return m == value_model::normal_f32 ? transformed_normal_moments<float>(mean, stddev)
                                          : transformed_normal_moments<double>(mean, stddev);
    case value_model::automatic: break;
  }
  invalid("value_model: 'auto' has no collision probability; pick a model");
}

double expected_equal_pairs(value_model m, std::uint64_t n, double mean, double stddev) {
  const double nd = static_cast<double>(n);
  return nd * (nd - 1) / 2 * collision_probabilities(m, mean, stddev).q2;
}

double poisson_upper_tail(double expected, double observed, double dispersion) {
  if (!(dispersion >= 1.0)) dispersion = 1.0;
  if (observed <= 0) return 1.0;
  if (expected <= 0) return 0.0;
  // P(Poisson(l) >= k) = P(Gamma(k, 1) <= l) for integer k >= 1.
  return gamma_p(observed / dispersion, expected / dispersion);
}

value_model infer_model(const void* data, dtype type, std::uint64_t n) {
  if (type == dtype::u32) return value_model::u32;
  if (type == dtype::f32) {
    const float* f = static_cast<const float*>(data);
    for (u64 i = 0; i < n; ++i)
      if (!(f[i] > 0.0f && f[i] <= 1.0f)) return value_model::normal_f32;
    return value_model::uniform_f32;
  }
  const double* d = static_cast<const double*>(data);
  bool grid32 = true, mrg = true;
  for (u64 i = 0; i < n; ++i) {
    if (!(d[i] > 0.0 && d[i] <= 1.0)) return value_model::normal_f64;
    // curand_uniform_double gives (x + 1) * 2^-32; accept any multiple of
    // 2^-33 so that an (x + 1/2) * 2^-32 grid counts too. A 53-bit value lands
    // on that grid with probability 2^-21, so honest 53-bit data never do.
    const double t = d[i] * 8589934592.0;  // exact: a power-of-two scale
    grid32 = grid32 && t == std::floor(t);
    // MRG32k3a's grid: likewise a 53-bit value lands on it with probability ~2^-21.
    mrg = mrg && on_mrg32k3a_grid(d[i]);
  }
  if (grid32) return value_model::uniform_f64_32bit;
  return mrg ? value_model::uniform_f64_mrg32k3a : value_model::uniform_f64_53bit;
}

report run(const void* data, const layout& shape, const options& opts) {
  auto positive = [](u64 v, const char* name) {
    if (v == 0) invalid(std::string(name) + ": must be positive, got 0");
  };
  positive(shape.blocks, "blocks");
  positive(shape.threads_per_block, "threads_per_block");
  positive(shape.per_thread, "per_thread");
  if (shape.type != dtype::u32 && shape.type != dtype::f32 && shape.type != dtype::f64)
    invalid("dtype: unknown value " + std::to_string(static_cast<int>(shape.type)));
  const std::size_t vsize = value_size(shape.type);
  u64 threads = 0, n = 0, bytes = 0;
  if (__builtin_mul_overflow(shape.blocks, shape.threads_per_block, &threads) ||
      __builtin_mul_overflow(threads, shape.per_thread, &n) ||
      __builtin_mul_overflow(n, static_cast<u64>(vsize), &bytes) ||
      bytes > static_cast<u64>(std::numeric_limits<std::ptrdiff_t>::max()))
    invalid("shape: blocks " + std::to_string(shape.blocks) + " x threads_per_block " +
            std::to_string(shape.threads_per_block) + " x per_thread " +
            std::to_string(shape.per_thread) + " x " + std::to_string(vsize) +
            " bytes overflows the address space");
  if (data == nullptr) invalid("data: null pointer for " + std::to_string(n) + " values");
  if (!(opts.alpha > 0.0 && opts.alpha < 1.0))
    invalid("alpha: must be in (0, 1), got " + fmt_double(opts.alpha));
  if (!model_fits(opts.model, shape.type))
    invalid(std::string("value_model: ") + to_string(opts.model) + " does not describe dtype " +
            to_string(shape.type));
  if (opts.window > shape.per_thread)
    invalid("window: must be at most per_thread (" + std::to_string(shape.per_thread) + "), got " +
            std::to_string(opts.window));
  // 128 bits of data: a chance match of that length is out of the question.
  const u64 w = opts.window != 0 ? opts.window : (shape.type == dtype::f64 ? 2 : 4);
  unsigned workers = opts.workers != 0 ? opts.workers : detail::cpu_threads();
  workers = std::max(1u, std::min(workers, 256u));

  if (shape.type == dtype::f64)
    return run_typed(static_cast<const std::uint64_t*>(data), shape, opts, w, workers);
  return run_typed(static_cast<const std::uint32_t*>(data), shape, opts, w, workers);
}

std::string format(const report& r) {
  std::ostringstream o;
  const layout& s = r.shape;
  const u64 threads = s.blocks * s.threads_per_block;
  o << "gpurand audit: " << threads << " threads (" << s.blocks << " blocks x "
    << s.threads_per_block << " threads), " << s.per_thread << " values each, dtype "
    << to_string(s.type) << ", " << threads * s.per_thread << " values\n";
  o << "window: " << r.window << " values (" << r.window * value_size(s.type) * 8 << " bits)"
    << (r.used_gpu ? ", keys sorted on the GPU" : "") << "\n";

  if (!r.stream_checks_run) {
    o << "duplicate streams: skipped (" << s.per_thread
      << " values per thread is shorter than the window)\n";
    o << "overlapping streams: skipped\n";
  } else {
    auto more = [&](u64 total, std::size_t shown) {
      if (total > shown) o << "  ... and " << (total - shown) << " more\n";
    };
    if (r.duplicate_threads == 0) {
      o << "duplicate streams: none\n";
    } else {
      o << "duplicate streams: " << r.duplicate_threads
        << " thread(s) repeat the stream of a lower thread\n";
      for (const stream_match& m : r.duplicates)
        o << "  " << fmt_ref(m.b) << " == " << fmt_ref(m.a) << ": all " << m.length
          << " values, lag 0\n";
      more(r.duplicate_threads, r.duplicates.size());
    }
    if (r.matched_window_pairs == 0) {
      o << "overlapping streams: none\n";
    } else {
      o << "overlapping streams: " << r.overlap_runs << " run(s) of >= " << r.window
        << " equal values (" << r.matched_window_pairs << " equal window pairs"
        << (r.overlap_list_complete ? "" : "; some windows repeat > 16 times, listing a selection")
        << ")\n";
      for (const stream_match& m : r.overlaps)
        o << "  " << fmt_ref(m.b) << "[" << m.b_pos << "..] == " << fmt_ref(m.a) << "[" << m.a_pos
          << "..]: " << m.length << " values, lag " << m.lag
          << (m.a.global == m.b.global ? " (the thread repeats itself)" : "") << "\n";
      more(r.overlap_runs, r.overlaps.size());
    }
  }

  if (r.draw_checks_run) {
    o << "overlapping raw draws (recovered from normal pairs, " << r.draw_key_bits
      << " bits each, window " << r.draw_window << " draws): ";
    if (r.draw_matched_window_pairs == 0) {
      o << "none\n";
    } else {
      o << r.draw_overlap_runs << " run(s) (" << r.draw_matched_window_pairs
        << " equal window pairs"
        << (r.draw_overlap_list_complete ? ""
                                         : "; some windows repeat > 16 times, listing a selection")
        << ")\n";
      for (const stream_match& m : r.draw_overlaps)
        o << "  " << fmt_ref(m.b) << " draw " << m.b_pos << ".. == " << fmt_ref(m.a) << " draw "
          << m.a_pos << "..: " << m.length << " draws, lag " << m.lag << " raw draw(s)"
          << (m.a.global == m.b.global ? " (the thread repeats itself)" : "") << "\n";
      if (r.draw_overlap_runs > r.draw_overlaps.size())
        o << "  ... and " << (r.draw_overlap_runs - r.draw_overlaps.size()) << " more\n";
    }
  } else if (is_normal(r.values.model)) {
    o << "overlapping raw draws: skipped (streams too short for a window of 128 key bits, or "
         "no normal fits)\n";
  }

  const value_result& v = r.values;
  o << "duplicate values: " << v.equal_pairs << " equal pair(s) among " << v.values
    << " values; expected " << fmt_double(v.expected, 6) << " under model " << to_string(v.model)
    << (v.model_inferred ? " (inferred)" : "");
  if (is_normal(v.model))
    o << " with mean " << fmt_double(v.mean) << ", stddev " << fmt_double(v.stddev);
  o << "; p = " << fmt_double(v.p_value, 3) << (v.flagged ? " < " : " >= ") << "alpha "
    << fmt_double(v.alpha, 3) << (v.flagged ? ": EXCESS DUPLICATES" : "") << "\n";
  for (const value_pair& p : v.examples) {
    o << "  value 0x" << std::hex << std::setw(s.type == dtype::f64 ? 16 : 8) << std::setfill('0')
      << p.bits << std::dec << std::setfill(' ') << " (" << p.count << " times) at " << fmt_ref(p.a)
      << "[" << p.a_pos << "] and " << fmt_ref(p.b) << "[" << p.b_pos << "]\n";
  }
  o << "verdict: " << (r.clean() ? "clean" : "DEFECTS FOUND") << "\n";
  return o.str();
}

}  // namespace gpurand::audit
