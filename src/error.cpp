#include "gpurand/gpurand.hpp"

namespace gpurand {

Error::Error(errc code, const std::string& what) : std::runtime_error(what), code_(code) {}

}  // namespace gpurand
