#pragma once
// The Philox4x32-10 known-answer vectors of tests/data/philox4x32_10_kat.txt, read once for
// every test that checks them (CPU paths in engine_test.cpp, the device in
// transforms_gpu_test.cu). Needs GPURAND_TEST_DATA (the data folder) from tests/CMakeLists.txt.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gpurand/philox.hpp"

namespace gpurand::test {

/// One vector: philox4x32_10(ctr, key) == out.
struct philox_kat {
  philox_counter ctr;
  philox_key key;
  philox_counter out;
};

/// All vectors of the file; a missing file or a malformed line fails the calling test.
inline std::vector<philox_kat> read_philox_kats() {
  std::ifstream f(GPURAND_TEST_DATA "/philox4x32_10_kat.txt");
  EXPECT_TRUE(f) << "missing known-answer file";
  std::vector<philox_kat> v;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    unsigned w[10];
    for (unsigned& x : w) in >> std::hex >> x;
    EXPECT_FALSE(in.fail()) << line;
    v.push_back({{{w[0], w[1], w[2], w[3]}}, {{w[4], w[5]}}, {{w[6], w[7], w[8], w[9]}}});
  }
  EXPECT_EQ(3u, v.size());
  return v;
}

}  // namespace gpurand::test
