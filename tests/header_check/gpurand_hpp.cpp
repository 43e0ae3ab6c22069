#include "gpurand/gpurand.hpp"  // must compile with no CUDA include path
