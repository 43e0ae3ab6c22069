#pragma once
// The shape every checkpoint text of gpurand shares, written and read in one
// place: one line
//   MAGIC VERSION k=v k=v ... check=H
// (MAGIC ends in '/', so "gpurand-state/1 seed=..."), H being FNV-1a 64 of
// everything before " check=", in hex (a guard against truncation, corruption
// and hand edits, not a security measure). Generator::state() (src/generator.cpp)
// and the CLI's `generate --state-out` (src/cli/generate_cmd.cpp) use it.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gpurand::detail {

struct state_field {
  std::string_view key, value;
};

/// The text of `fields` (keys and values without spaces or '='), sealed with its checksum.
std::string seal_state(std::string_view magic, std::uint64_t version,
                       const std::vector<std::pair<std::string, std::string>>& fields);

/// The fields of `text` in order, after checking the magic, then the version
/// (a future format may checksum differently), then the checksum; trailing
/// newlines and spaces are ignored. Throws Error(invalid_argument) with
/// `prefix` + what is wrong; `what` names the kind of text ("a gpurand
/// state"). The views point into `text`.
std::vector<state_field> open_state(std::string_view text, std::string_view magic,
                                    std::uint64_t version, const std::string& prefix,
                                    std::string_view what);

/// The values of `fields`, which must be exactly `names` in that order (else
/// Error(invalid_argument): "missing field", "expected field", "unexpected text").
std::vector<std::string_view> fields_in_order(const std::vector<state_field>& fields,
                                              const std::vector<const char*>& names,
                                              const std::string& prefix);

/// A decimal 64-bit number of field `field`.
std::uint64_t state_u64(std::string_view text, std::string_view field, const std::string& prefix);

[[noreturn]] void bad_state(const std::string& prefix, const std::string& why);

}  // namespace gpurand::detail
