#pragma once
// Small helpers shared by the GoogleTest suites.

#include <gtest/gtest.h>

#include <string>

#include "gpurand/gpurand.hpp"

namespace gpurand::test {

/// Runs f, which must throw gpurand::Error with `code` and a message that
/// mentions `needle` (the argument's name, the value).
template <class F>
void expect_error(errc code, const std::string& needle, F&& f) {
  try {
    f();
    ADD_FAILURE() << "expected gpurand::Error mentioning '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_EQ(code, e.code()) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message '" << e.what() << "' does not mention '" << needle << "'";
  }
}

}  // namespace gpurand::test
