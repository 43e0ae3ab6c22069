// The executor's test seam (see parallel.hpp).

#include "backend/cpu/parallel.hpp"

namespace gpurand::detail {

namespace {
std::atomic<thread_spawn_hook> spawn_hook{nullptr};
}  // namespace

void set_thread_spawn_hook_for_testing(thread_spawn_hook hook) noexcept {
  spawn_hook.store(hook, std::memory_order_relaxed);
}

thread_spawn_hook get_thread_spawn_hook() noexcept {
  return spawn_hook.load(std::memory_order_relaxed);
}

}  // namespace gpurand::detail
