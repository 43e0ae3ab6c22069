#pragma once
#include <cstddef>

namespace gpurand::test {
struct stream_sizes {
  std::size_t philox, xorwow, mrg32k3a, mrg32k3a_align;
  bool operator==(const stream_sizes& o) const {
    return philox == o.philox && xorwow == o.xorwow && mrg32k3a == o.mrg32k3a &&
           mrg32k3a_align == o.mrg32k3a_align;
  }
};
stream_sizes stream_sizes_checked();    // a TU with GPURAND_CHECK_WINDOW=1
stream_sizes stream_sizes_unchecked();  // a TU with GPURAND_CHECK_WINDOW=0
}  // namespace gpurand::test
