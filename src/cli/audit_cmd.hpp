#pragma once
// `gpurand audit`: the CLI front end of gpurand::audit (include/gpurand/audit.hpp).

#include <iosfwd>
#include <string>
#include <vector>

namespace gpurand::cli {

/// Runs `gpurand audit --blocks B --threads T --per-thread K --dtype u32|f32|f64
/// [--window W] [--alpha A] FILE|-` with `args` the arguments after the word
/// `audit`. FILE holds B*T*K raw little-endian values, thread-major; "-" reads
/// all of `stdin_stream`. Writes the readable report to `out` and returns 0 when
/// the data are clean, 1 when a defect was found, and 2 on bad input (unknown
/// flag, bad or missing number, bad dtype, missing or extra FILE, unreadable
/// file, size mismatch), with a one-line message naming the problem on `err`.
int audit_main(const std::vector<std::string>& args, std::istream& stdin_stream, std::ostream& out,
               std::ostream& err);

}  // namespace gpurand::cli
