#pragma once
// The gpurand CLI's commands. Each takes the arguments after its name and
// returns the process exit code; a gpurand::Error escaping one is turned into
// a message and exit code by main() (see exit_code_for).

#include <string>
#include <vector>

#include "gpurand/gpurand.hpp"

namespace gpurand::cli {

int generate_main(const std::vector<std::string>& args);
int demo_main(const std::vector<std::string>& args);

/// 2 for bad input (arguments, an unusable backend, an offset past the end
/// of the space), 1 for failures while running (CUDA, I/O, entropy).
inline int exit_code_for(const Error& e) {
  switch (e.code()) {
    case errc::invalid_argument:
    case errc::unsupported:
    case errc::exhausted: return 2;
    default: return 1;
  }
}

}  // namespace gpurand::cli
