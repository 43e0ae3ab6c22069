// The audit's stream checks: duplicate streams (check 1), overlapping
// streams (check 2) and, for normal values, overlapping raw draws recovered
// from the Box-Muller pairs (check 2b). See internal.hpp for the scheme.

#include "audit/internal.hpp"

namespace gpurand::audit::detail {

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
    const double scaled = res * std::ldexp(1.0, is_double ? 53 : 32);
    const int err =
        std::isfinite(scaled) && scaled >= 1 ? std::ilogb(scaled) + 1 : (scaled >= 1 ? 64 : 0);
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
  r.used_gpu = r.used_gpu || scratch.used_gpu;
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

template void find_duplicate_streams(const grid<std::uint32_t>&, const options&, unsigned,
                                     std::vector<unsigned char>&, report&);
template void find_duplicate_streams(const grid<std::uint64_t>&, const options&, unsigned,
                                     std::vector<unsigned char>&, report&);
template void find_overlaps(const grid<std::uint32_t>&, u64, const std::vector<unsigned char>&,
                            const options&, unsigned, report&);
template void find_overlaps(const grid<std::uint64_t>&, u64, const std::vector<unsigned char>&,
                            const options&, unsigned, report&);
template void find_draw_overlaps<float>(const grid<std::uint32_t>&,
                                        const std::vector<unsigned char>&, double, double,
                                        const options&, unsigned, report&);
template void find_draw_overlaps<double>(const grid<std::uint64_t>&,
                                         const std::vector<unsigned char>&, double, double,
                                         const options&, unsigned, report&);

}  // namespace gpurand::audit::detail
