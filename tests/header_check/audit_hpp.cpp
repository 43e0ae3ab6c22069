#include "gpurand/audit.hpp"  // must compile with no CUDA include path
