#pragma once
// Box-Muller pairs handed out one value at a time, as curand_normal does: the first call of a
// pair computes both values and returns the first, the next call returns the cached second and
// draws nothing. Shared by gpurand::basic_stream (gpurand/device.cuh, its portable normals) and
// the toolkit-free Philox stream (gpurand/detail/philox_stream.hpp, all its normals).
// Plain C++17.

#include "gpurand/config.hpp"
#include "gpurand/detail/portable_math.hpp"

namespace gpurand::detail {

/// One cached second value of type T (cuRAND's boxmuller_extra and boxmuller_flag).
template <class T>
struct pair_cache {
  T extra = T{};
  bool have = false;

  /// The cached value if there is one; otherwise make_pair() (a type with members x, y),
  /// whose y is kept for the next call.
  template <class MakePair>
  GPURAND_HD T take(MakePair&& make_pair) {
    if (have) {
      have = false;
      return extra;
    }
    const auto p = make_pair();
    extra = p.y;
    have = true;
    return p.x;
  }
};

/// gpurand's portable normals over a stream's next(): pairs of portable_box_muller_pair over two
/// consecutive draws (float) or portable_box_muller_double over four (double), the sin-side
/// value first; float and double keep separate caches.
struct portable_normal_cache {
  pair_cache<float> f;
  pair_cache<double> d;

  template <class Stream>
  GPURAND_HD float normal(Stream& s) {
    return f.take([&] {
      const unsigned x = s.next();
      const unsigned y = s.next();
      return portable_box_muller_pair(x, y);
    });
  }
  template <class Stream>
  GPURAND_HD double normal_double(Stream& s) {
    return d.take([&] {
      const unsigned x0 = s.next();
      const unsigned x1 = s.next();
      const unsigned y0 = s.next();
      const unsigned y1 = s.next();
      return portable_box_muller_double(x0, x1, y0, y1);
    });
  }
};

}  // namespace gpurand::detail
