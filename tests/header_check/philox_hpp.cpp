#include "gpurand/philox.hpp"  // must compile with no CUDA include path
