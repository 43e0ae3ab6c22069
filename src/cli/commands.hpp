#pragma once
// The gpurand CLI's commands. Each takes the arguments after its name and
// returns the process exit code; a gpurand::Error escaping one is turned into
// a message and exit code by main() (see exit_code_for).

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "gpurand/gpurand.hpp"

namespace gpurand::cli {

int generate_main(const std::vector<std::string>& args);
int demo_main(const std::vector<std::string>& args);

enum class command { generate, audit, demo };

/// Parses and checks `args` exactly as command `cmd` would, without drawing,
/// reading input, touching the file system or resolving the backend's device.
/// Returns 0 when the arguments are valid (or --help was given: the help goes
/// to `out`) and 2 for bad input (the message goes to `err`). Any other
/// exception escaping it is a bug (the CLI fuzz target relies on that).
int parse_only(command cmd, const std::vector<std::string>& args, std::ostream& out,
               std::ostream& err);

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

namespace detail {

/// Each command's argument check (what parse_only runs): throws Error on bad
/// input, returns false when --help was given (the help is written to `out`).
bool check_generate_args(const std::vector<std::string>& args, std::ostream& out);
bool check_audit_args(const std::vector<std::string>& args, std::ostream& out);
bool check_demo_args(const std::vector<std::string>& args, std::ostream& out);

/// Writes the grid `base` describes (threads [first_thread, first_thread +
/// threads), per_thread values each, window starting at base.offset) in
/// interleaved order, row k = draw k of every thread, by handing consecutive
/// pieces of that output to `emit(values, count)`. Memory stays bounded by
/// max(piece_values, 2) values whatever the grid: when even one or two rows do
/// not fit, each row is produced as successive thread ranges of streams
/// re-initialised at that row's offset. base.interleave is ignored. With
/// `first_row`, the rows written are [first_row, first_row + per_thread) of
/// the same streams (a resumed run: an odd first row of a normal, the second
/// value of a Box-Muller pair, costs its pair once).
void write_interleaved(const grid_request& base, std::uint64_t piece_values,
                       const std::function<void(const void* values, std::uint64_t count)>& emit,
                       std::uint64_t first_row = 0);

}  // namespace detail

}  // namespace gpurand::cli
