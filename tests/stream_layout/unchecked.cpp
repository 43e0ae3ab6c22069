// Built with window checks off (see stream_layout_test.cpp).
#define GPURAND_CHECK_WINDOW 0
#include "gpurand/device.cuh"
#include "stream_layout/sizes.hpp"

namespace gpurand::test {
stream_sizes stream_sizes_unchecked() {
  return {sizeof(philox_stream), sizeof(xorwow_stream), sizeof(mrg32k3a_stream),
          alignof(mrg32k3a_stream)};
}
}  // namespace gpurand::test
