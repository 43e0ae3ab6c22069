#pragma once
// Asynchronous fills captured into CUDA graphs, host side, over the runtime
// seam (runtime.hpp) so that a CPU-only test drives every branch.
//
// The model (README.md, "CUDA graphs"): an async fill enqueued on a stream
// that is being captured reserves a window of R replays x 4 offsets from its
// Generator, and gets a slot (kernels/capture_slot.hpp) in pinned host
// memory holding (seed, next offset, window end, overruns). The captured
// nodes are the fill kernel, which reads (seed, next) from the slot at each
// replay, and a one-thread kernel that advances `next` by 4. The graph owns
// the slot (a CUDA user object), so it lives as long as the graph and every
// exec made from it; the Generator keeps a reference too, to read `overruns`
// at its next call and throw Error(exhausted) naming the capture.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/cuda/runtime.hpp"
#include "capture_slot.hpp"  // kernels/
#include "gpurand/gpurand.hpp"

namespace gpurand::detail::cuda {

/// Replays a captured fill may run when options::capture_replays is not set.
inline constexpr std::uint64_t default_capture_replays = std::uint64_t{1} << 20;

/// The capture state of the stream of an asynchronous fill: none or active.
/// Throws Error(unsupported) for what a fill cannot be made safe in: a
/// capture already invalidated, or a stream (the legacy default stream)
/// that would join another stream's capture implicitly; Error(cuda_error)
/// if the query itself fails otherwise.
capture_info capture_of(void* stream);

/// One captured fill: its slot, and what the error message names.
class captured_fill {
 public:
  /// `pool_generation`: the slot came from the process's pool (open_captured_fill);
  /// the default: the caller owns it (a test's slot).
  captured_fill(capture_slot* slot, unsigned long long capture, std::string what,
                std::uint64_t pool_generation = UINT64_MAX);
  /// Returns a pooled slot to the pool. No CUDA call: the last owner may be
  /// the graph, whose destructor runs on a CUDA thread.
  ~captured_fill();
  captured_fill(const captured_fill&) = delete;
  captured_fill& operator=(const captured_fill&) = delete;

  /// Writes the window [begin, begin + replays * 4) into the slot (plain
  /// host stores: nothing runs in the graph before it is launched).
  void arm(std::uint64_t seed, std::uint64_t begin, std::uint64_t replays);
  capture_slot* slot() const { return slot_; }
  /// Replays refused so far (read from pinned memory, no CUDA call).
  std::uint64_t overruns() const;
  std::string describe() const;

 private:
  capture_slot* slot_;
  unsigned long long capture_;
  std::string what_;
  std::uint64_t pool_generation_;
  std::uint64_t begin_ = 0, replays_ = 0;
};

/// A slot for a fill captured in `capture` (an active capture_of()), handed
/// to the capture's graph: allocated in relaxed capture mode, so that a
/// global-mode capture on this or another thread stays valid. `what` names
/// the call. Throws Error(cuda_error) if the allocation or the hand-over fails.
std::shared_ptr<captured_fill> open_captured_fill(const capture_info& capture, std::string what);

/// The captured fills of one Generator. check() raises each new overrun
/// once, as Error(exhausted) naming the capture, and forgets a fill once its
/// graph is gone and its last overrun was raised. In a forked child it
/// forgets them all unread: the graphs belong to the parent's CUDA context,
/// and pinned memory need not survive fork().
class capture_ledger {
 public:
  void add(std::shared_ptr<captured_fill> fill);
  void check();
  std::size_t size() const;

 private:
  struct entry {
    std::shared_ptr<captured_fill> fill;
    std::uint64_t raised = 0;  ///< overruns already turned into an Error
  };
  mutable std::mutex m_;
  long pid_ = 0;                  ///< the process the fills were captured in
  std::atomic<bool> any_{false};  // a Generator that never captured pays one load
  std::vector<entry> entries_;
};

/// Frees the pooled slots (install_runtime_for_testing, via host.cpp).
void release_capture_slots_for_testing();

}  // namespace gpurand::detail::cuda
