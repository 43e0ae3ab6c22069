#pragma once
// Internal: the OS entropy reader behind gpurand::os_entropy64(), with its
// sources as parameters so the tests can exercise the fallback.

#include <cstdint>

namespace gpurand::detail {

/// 64 bits from getrandom(2) (when `use_getrandom`), else from the character
/// device at `device_path`. A path that is not a character device (a regular
/// file planted at /dev/urandom, say) is refused: its content would be every
/// seed. Throws Error(entropy) naming the source and the errno of the failing
/// call.
std::uint64_t os_entropy64_from(bool use_getrandom, const char* device_path);

}  // namespace gpurand::detail
