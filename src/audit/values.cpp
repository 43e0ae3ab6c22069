// The audit's value models and the duplicate-value test (check 3): the
// collision moments of each model, the fit of a normal's mean and stddev, and
// the pair count judged by its upper tail.

#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/gamma.hpp>

#include "audit/internal.hpp"
#include "audit/statistics.hpp"

namespace gpurand::audit::detail {

// Boost.Math reports trouble through errno, never by throwing: every argument
// the audit passes is finite and in range, and a tail that underflows is 0.
using boost_policy = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::errno_on_error>,
    boost::math::policies::pole_error<boost::math::policies::errno_on_error>,
    boost::math::policies::overflow_error<boost::math::policies::errno_on_error>,
    boost::math::policies::evaluation_error<boost::math::policies::errno_on_error>>;
constexpr boost_policy kPolicy{};

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
  using boost::math::erf;
  using boost::math::erfc;
  if (a >= 0) return erfc(a, kPolicy) - erfc(b, kPolicy);
  if (b <= 0) return erfc(-b, kPolicy) - erfc(-a, kPolicy);
  return erf(b, kPolicy) - erf(a, kPolicy);
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

// The binade of |x| (ilogb), bounded for 0, subnormals, inf and NaN, so that
// loops over binades stay short.
int binade(double x) {
  x = std::fabs(x);
  if (!(x >= std::numeric_limits<double>::min())) return -1100;
  if (!std::isfinite(x)) return 1100;
  return std::ilogb(x);
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
// are longer than that (y much coarser than z), each z sees the normal mass
// of a run of width ulp(y) / stddev around it: the smooth model, exact in
// that limit, and 1 when a run holds the whole spread.
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
    if (mean_run > 256) {
      // Coarse: the run around z spans width = ulp(y) / stddev in z, which
      // may exceed the whole spread (then everything is one value). The run
      // seen from z has mass M(z) = Phi(z + width/2) - Phi(z - width/2);
      // q2 gets the integral of phi * M and q3 of phi * M^2 (Simpson).
      const double width = mean_run * ulp_z;
      const double inv_sqrt2 = 0.70710678118654752440, inv_sqrt_2pi = 0.39894228040143267794;
      auto phi = [&](double z) { return inv_sqrt_2pi * std::exp(-0.5 * z * z); };
      auto run_mass = [&](double z) {
        return 0.5 * erf_diff((z - width / 2) * inv_sqrt2, (z + width / 2) * inv_sqrt2);
      };
      constexpr int intervals = 32;
      const double h = (r - p) / intervals;
      double s2 = 0, s3 = 0;
      for (int i = 0; i <= intervals; ++i) {
        const double z = p + i * h, m = run_mass(z);
        const double weight = (i == 0 || i == intervals) ? 1 : (i % 2 != 0 ? 4 : 2);
        s2 += weight * phi(z) * m;
        s3 += weight * phi(z) * m * m;
      }
      q.q2 += s2 * h / 3;
      q.q3 += s3 * h / 3;
      return;
    }
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
      for (int k = binade(lo_s); k <= binade(hi_s) + 1; ++k) cut(sign * std::ldexp(1.0, k) / sd);
      // Where |y| changes binade, for binades coarse enough to matter (y's
      // spacing only counts where it is not finer than that of z * stddev).
      const double ya = a * sd + md, yb = b * sd + md;
      const double y_hi = std::max(std::fabs(ya), std::fabs(yb));
      const double y_lo = (ya > 0) == (yb > 0) ? std::min(std::fabs(ya), std::fabs(yb)) : 0.0;
      if (y_hi >= lo_s / 4)
        for (int k = std::max(binade(lo_s / 4), binade(y_lo)); k <= binade(y_hi) + 1; ++k) {
          cut((std::ldexp(1.0, k) - md) / sd);
          cut((-std::ldexp(1.0, k) - md) / sd);
        }
      std::sort(cuts.begin(), cuts.end());
      for (std::size_t i = 0; i + 1 < cuts.size(); ++i) piece(cuts[i], cuts[i + 1], ulp_z);
    }
  }
  // Subnormal z: one spacing.
  const double sub = std::ldexp(1.0, emin);
  piece(-sub, sub, std::ldexp(1.0, emin - mant));
  return q;
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

template bool fit_model(const grid<std::uint32_t>&, dtype, const options&, unsigned, value_result&);
template bool fit_model(const grid<std::uint64_t>&, dtype, const options&, unsigned, value_result&);
template void check_values(const grid<std::uint32_t>&, dtype, bool, const options&, unsigned,
                           report&);
template void check_values(const grid<std::uint64_t>&, dtype, bool, const options&, unsigned,
                           report&);

}  // namespace gpurand::audit::detail

namespace gpurand::audit {

using namespace detail;

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
  // P(Poisson(l) >= k) = P(Gamma(k, 1) <= l) for integer k >= 1: the
  // regularized lower incomplete gamma, continuous in k.
  return boost::math::gamma_p(observed / dispersion, expected / dispersion, kPolicy);
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

}  // namespace gpurand::audit
