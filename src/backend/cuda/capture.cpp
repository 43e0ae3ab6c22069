// Asynchronous fills captured into CUDA graphs, host side (see capture.hpp).

#include "backend/cuda/capture.hpp"

#include <unistd.h>

#include <algorithm>
#include <new>
#include <utility>

#include "backend/cuda/cuda_check.hpp"

namespace gpurand::detail::cuda {
namespace {

/// Slots are recycled, never freed while the process runs: the last owner
/// of a slot may be a graph whose destructor runs on a CUDA thread (no CUDA
/// call allowed there), and cudaFreeHost under a capture could invalidate it.
/// The pool holds as many slots as captured fills were ever alive at once.
struct slot_pool {
  std::mutex m;
  std::vector<capture_slot*> free;
  std::vector<void*> all;
  std::uint64_t generation = 0;  // bumped by a test's reset: older slots are gone
};

slot_pool& pool() {
  static slot_pool* p = new slot_pool;  // never destroyed: graph destructors may run at exit
  return *p;
}

capture_slot* take_pooled(std::uint64_t* generation) {
  slot_pool& p = pool();
  std::lock_guard<std::mutex> lock(p.m);
  *generation = p.generation;
  if (p.free.empty()) return nullptr;
  capture_slot* s = p.free.back();
  p.free.pop_back();
  return s;
}

capture_slot* allocate_slot(std::uint64_t generation) {
  cuda_runtime& rt = runtime();
  // cudaMallocHost is not enqueued on a stream; in the thread's default
  // (global) capture mode it is refused while a capture is under way, so
  // switch this thread to relaxed mode for the call, as CUDA's documentation
  // of cudaThreadExchangeStreamCaptureMode suggests for libraries.
  int mode = capture_mode_relaxed;
  GPURAND_CUDA_CHECK(rt.exchange_capture_mode(&mode));
  void* p = nullptr;
  const int e = rt.malloc_pinned(&p, sizeof(capture_slot));
  int previous = mode;
  const int restored = rt.exchange_capture_mode(&previous);
  GPURAND_CUDA_CHECK(e);
  GPURAND_CUDA_CHECK(restored);
  slot_pool& sp = pool();
  std::lock_guard<std::mutex> lock(sp.m);
  if (sp.generation == generation) sp.all.push_back(p);
  return new (p) capture_slot{};
}

void destroy_graph_reference(void* ref) {
  delete static_cast<std::shared_ptr<captured_fill>*>(ref);
}

}  // namespace

capture_info capture_of(void* stream) {
  cuda_runtime& rt = runtime();
  capture_info info;
  const int e = rt.stream_capture_info(stream, &info);
  if (e == status_stream_capture_implicit) {
    (void)rt.get_last_error();
    throw Error(errc::unsupported,
                "stream: the legacy default stream cannot take an asynchronous fill while another "
                "stream is being captured into a CUDA graph (the fill would join that capture "
                "implicitly and invalidate it): pass the capturing stream itself, or a "
                "non-blocking stream");
  }
  if (e != status_success) throw_status(e, "cudaStreamGetCaptureInfo(stream)", __FILE__, __LINE__);
  if (info.status == capture_status::invalidated)
    throw Error(errc::unsupported,
                "stream: its CUDA-graph capture was invalidated by an earlier error, so nothing "
                "more can be captured there: end it with cudaStreamEndCapture and capture again");
  return info;
}

captured_fill::captured_fill(capture_slot* slot, unsigned long long capture, std::string what,
                             std::uint64_t pool_generation)
    : slot_(slot), capture_(capture), what_(std::move(what)), pool_generation_(pool_generation) {}

captured_fill::~captured_fill() {
  slot_pool& p = pool();
  std::lock_guard<std::mutex> lock(p.m);
  // A slot of an earlier test's runtime (freed by its reset) is dropped.
  if (pool_generation_ == p.generation) p.free.push_back(slot_);
}

void captured_fill::arm(std::uint64_t seed, std::uint64_t begin, std::uint64_t replays) {
  begin_ = begin;
  replays_ = replays;
  slot_->seed = seed;
  slot_->next = begin;
  slot_->end = begin + replays * capture_step;  // the Generator reserved exactly this
  // Last, as a release store: the fields above are visible before it (a fence would do the
  // same, but ThreadSanitizer does not support atomic_thread_fence).
  __atomic_store_n(&slot_->overruns, std::uint64_t{0}, __ATOMIC_RELEASE);
}

std::uint64_t captured_fill::overruns() const {
  return __atomic_load_n(&slot_->overruns, __ATOMIC_ACQUIRE);
}

std::string captured_fill::describe() const {
  return "the " + what_ + " captured into a CUDA graph (capture id " + std::to_string(capture_) +
         ", offsets [" + std::to_string(begin_) + ", " +
         std::to_string(begin_ + replays_ * capture_step) + "): " + std::to_string(replays_) +
         " replays)";
}

std::shared_ptr<captured_fill> open_captured_fill(const capture_info& capture, std::string what) {
  std::uint64_t generation = 0;
  capture_slot* slot = take_pooled(&generation);
  if (slot == nullptr) slot = allocate_slot(generation);
  auto fill = std::make_shared<captured_fill>(slot, capture.id, std::move(what), generation);
  // The graph's reference, dropped by the user object's destructor when the
  // graph and its execs are gone (graph_own takes it even when it fails).
  auto* ref = new std::shared_ptr<captured_fill>(fill);
  GPURAND_CUDA_CHECK(runtime().graph_own(capture.graph, ref, destroy_graph_reference));
  return fill;
}

void capture_ledger::add(std::shared_ptr<captured_fill> fill) {
  std::lock_guard<std::mutex> lock(m_);
  if (entries_.empty()) pid_ = ::getpid();
  entries_.push_back({std::move(fill), 0});
  any_.store(true, std::memory_order_release);
}

void capture_ledger::check() {
  if (!any_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(m_);
  if (pid_ != ::getpid()) entries_.clear();
  for (entry& e : entries_) {
    const std::uint64_t seen = e.fill->overruns();
    if (seen <= e.raised) continue;
    const std::uint64_t fresh = seen - e.raised;
    e.raised = seen;
    throw Error(errc::exhausted,
                e.fill->describe() + " was replayed past its window: " + std::to_string(fresh) +
                    " more replay(s) wrote all-one bytes (NaN for floating point) instead of "
                    "numbers, never numbers of another replay. Capture the fill again for a fresh "
                    "window; options::capture_replays sets the replays one capture may run");
  }
  // A fill only this ledger still holds has no graph left, so no replay can
  // follow: forget it once its last overrun was raised (use count first).
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [](const entry& e) {
                                  return e.fill.use_count() == 1 && e.fill->overruns() == e.raised;
                                }),
                 entries_.end());
  any_.store(!entries_.empty(), std::memory_order_release);
}

std::size_t capture_ledger::size() const {
  std::lock_guard<std::mutex> lock(m_);
  return entries_.size();
}

void release_capture_slots_for_testing() {
  slot_pool& p = pool();
  std::lock_guard<std::mutex> lock(p.m);
  for (void* s : p.all) (void)runtime().free_pinned(s);
  p.all.clear();
  p.free.clear();
  ++p.generation;
}

}  // namespace gpurand::detail::cuda
