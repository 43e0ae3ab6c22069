// Issue 7, hole 11: a public type has one layout in every build mode. Two
// translation units of this test see device.cuh with window checks on and
// off; a debug user file and a release library must agree on basic_stream.

#include <gtest/gtest.h>

#include "stream_layout/sizes.hpp"

namespace gpurand::test {
namespace {

TEST(StreamLayout, SameSizeWithAndWithoutWindowChecks) {
  const stream_sizes on = stream_sizes_checked(), off = stream_sizes_unchecked();
  EXPECT_EQ(on.philox, off.philox);
  EXPECT_EQ(on.xorwow, off.xorwow);
  EXPECT_EQ(on.mrg32k3a, off.mrg32k3a);
  EXPECT_EQ(on.mrg32k3a_align, off.mrg32k3a_align);
  EXPECT_TRUE(on == off);
}

}  // namespace
}  // namespace gpurand::test
