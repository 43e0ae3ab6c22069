#include "gpurand/detail/transforms.hpp"  // must compile with no CUDA include path
