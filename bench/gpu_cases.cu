// The GPU cases: bulk fills against cuRAND's host API on the device and against the write
// roofline of the same buffer; per-thread stream set-up against curand_init; in-kernel
// consumption against raw curand(). Every call is timed with CUDA events on one stream, the
// same way for gpurand and for the baseline.

// device.cuh defines cuRAND's QUALIFIERS before <curand_kernel.h>, so it comes first.
// clang-format off
#include "gpurand/device.cuh"
// clang-format on

#include <cuda_runtime.h>
#include <curand.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backend/cuda/cuda_check.hpp"
#include "backend/cuda/host.hpp"
#include "bench.hpp"
#include "curand_loop.hpp"
#include "gpurand/detail/table.hpp"
#include "gpurand/gpurand.hpp"
#include "launch.hpp"

namespace gpurand::bench {

bool have_gpu() { return gpu_available(); }

int gpu_check_window() { return GPURAND_CHECK_WINDOW; }

std::string gpu_description() {
  int dev = 0;
  GPURAND_CUDA_CHECK(cudaGetDevice(&dev));
  cudaDeviceProp prop{};
  GPURAND_CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  return std::string(prop.name) + ", " + std::to_string(prop.multiProcessorCount) + " SMs, " +
         std::to_string(prop.totalGlobalMem >> 30) + " GiB, CUDA " +
         std::to_string(CUDART_VERSION / 1000) + "." + std::to_string(CUDART_VERSION % 1000 / 10);
}

namespace {

constexpr std::uint64_t seed = 0x5eed5eed12345678ull;
/// Threads of the init and consume cases (the issue's 2^20), and draws per thread in consume:
/// 2^30 draws in all, long enough (milliseconds) that launch latency is noise.
constexpr unsigned case_threads = 1u << 20;
constexpr unsigned consume_draws = 1024;
constexpr unsigned block_size = 256;

/// The library's one owned device allocation (freed on every exit path).
using device_memory = detail::cuda::device_buffer;

// ------------------------------------------------------------------------------------------
// Kernels

/// The roofline's plain store kernel: 16-byte stores over the buffer, grid-strided, then the
/// sub-16-byte tail. The value depends on the index so nothing can be folded into a memset.
__global__ void store_kernel(uint4* p, std::size_t n16, unsigned char* tail, unsigned tail_bytes) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n16;
       i += stride) {
    const unsigned v = static_cast<unsigned>(i);
    p[i] = make_uint4(v, ~v, v, ~v);
  }
  if (blockIdx.x == 0 && threadIdx.x < tail_bytes) tail[threadIdx.x] = 0;
}

/// gpurand's O(1) per-thread set-up: the stream of subsequence `id` in this launch's window,
/// one draw stored so the compiler keeps the set-up.
__global__ void init_gpurand_kernel(launch_handle h, unsigned threads, unsigned* out) {
  const unsigned id = blockIdx.x * blockDim.x + threadIdx.x;
  if (id >= threads) return;
  auto s = h.stream(id);
  out[id] = s.next();
}

/// cuRAND's per-thread set-up with subsequence = thread id (the documented way to get
/// independent streams), one draw stored.
template <class State>
__global__ void init_curand_kernel(std::uint64_t seed_, std::uint64_t offset, unsigned threads,
                                   unsigned* out) {
  const unsigned id = blockIdx.x * blockDim.x + threadIdx.x;
  if (id >= threads) return;
  State s;
  curand_init(seed_, id, offset, &s);
  out[id] = curand(&s);
}

template <dist D>
__device__ __forceinline__ auto draw_gpurand(philox_stream& s) {
  if constexpr (D == dist::u32)
    return s.next();
  else if constexpr (D == dist::uniform)
    return s.uniform();
  else
    return s.normal();
}

template <dist D>
__device__ __forceinline__ auto draw_curand(curandStatePhilox4_32_10_t& s) {
  if constexpr (D == dist::u32)
    return curand(&s);
  else if constexpr (D == dist::uniform)
    return curand_uniform(&s);
  else
    return curand_normal(&s);
}

/// Stores a reduction as 32 bits (a float's bits or the unsigned sum): one store per thread.
__device__ __forceinline__ unsigned as_bits(unsigned v) { return v; }
__device__ __forceinline__ unsigned as_bits(float v) { return __float_as_uint(v); }

/// In-kernel consumption through gpurand's device API: set-up, k draws summed, one store.
template <dist D>
__global__ void consume_gpurand_kernel(launch_handle h, unsigned threads, unsigned k,
                                       unsigned* out) {
  const unsigned id = blockIdx.x * blockDim.x + threadIdx.x;
  if (id >= threads) return;
  auto s = h.stream(id);
  decltype(draw_gpurand<D>(s)) acc = 0;
  for (unsigned i = 0; i < k; ++i) acc += draw_gpurand<D>(s);
  out[id] = as_bits(acc);
}

/// The same work on cuRAND's own state and functions.
template <dist D>
__global__ void consume_curand_kernel(std::uint64_t seed_, std::uint64_t offset, unsigned threads,
                                      unsigned k, unsigned* out) {
  const unsigned id = blockIdx.x * blockDim.x + threadIdx.x;
  if (id >= threads) return;
  curandStatePhilox4_32_10_t s;
  curand_init(seed_, id, offset, &s);
  decltype(draw_curand<D>(s)) acc = 0;
  for (unsigned i = 0; i < k; ++i) acc += draw_curand<D>(s);
  out[id] = as_bits(acc);
}

/// The baseline of gpurand's own distributions, which cuRAND's host API lacks: what a cuRAND
/// user writes instead, a grid-strided loop in which each thread sets up
/// curand_init(seed, thread id, offset) and writes values i = id, id + stride, ... with
/// curand_loop.hpp's loop_value (the same body as the CPU baseline).
template <dist D, class T = typename detail::dist_traits<D>::value>
__global__ void curand_loop_kernel(std::uint64_t seed_, std::uint64_t offset, std::uint64_t n,
                                   loop_params p, T* out) {
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  const std::uint64_t id = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x;
  if (id >= n) return;
  curandStatePhilox4_32_10_t s;
  curand_init(seed_, id, offset, &s);
  for (std::uint64_t i = id; i < n; i += stride) out[i] = loop_value<D>(s, p);
}

// ------------------------------------------------------------------------------------------
// Runner

class gpu_runner {
 public:
  gpu_runner(const options& opt, std::vector<record>& out) : opt_(opt), out_(out) {
    policy_ = opt.quick ? repeat_policy{5, 20, 0.02} : repeat_policy{10, 100, 0.25};
    int dev = 0;
    GPURAND_CUDA_CHECK(cudaGetDevice(&dev));
    GPURAND_CUDA_CHECK(cudaDeviceGetAttribute(&sms_, cudaDevAttrMultiProcessorCount, dev));
    device_ = gpu_description();
    build_ = build_description();
    if (gpu_check_window() != GPURAND_CHECK_WINDOW)
      build_ += " (kernels: GPURAND_CHECK_WINDOW=" + std::to_string(gpu_check_window()) + ")";
    GPURAND_CUDA_CHECK(cudaStreamCreate(&stream_));
    GPURAND_CUDA_CHECK(cudaEventCreate(&start_));
    GPURAND_CUDA_CHECK(cudaEventCreate(&stop_));
  }
  ~gpu_runner() {
    if (gen_) curandDestroyGenerator(gen_);
    (void)cudaEventDestroy(start_);
    (void)cudaEventDestroy(stop_);
    (void)cudaStreamDestroy(stream_);
  }
  gpu_runner(const gpu_runner&) = delete;
  gpu_runner& operator=(const gpu_runner&) = delete;

  void run() {
    std::fprintf(stderr, "gpurand-bench: GPU cases on %s\n", device_.c_str());
    if (opt_.has(bench_case::fill) || opt_.has(bench_case::roofline)) fills();
    if (opt_.has(bench_case::init)) init();
    if (opt_.has(bench_case::consume)) consume();
  }

 private:
  // ---- timing

  /// One enqueued call timed with events on the bench's stream, in seconds.
  template <class Fn>
  double once(Fn&& fn) {
    GPURAND_CUDA_CHECK(cudaEventRecord(start_, stream_));
    fn();
    GPURAND_CUDA_CHECK(cudaEventRecord(stop_, stream_));
    GPURAND_CUDA_CHECK(cudaEventSynchronize(stop_));
    float ms = 0;
    GPURAND_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
    return ms * 1e-3;
  }

  /// Like time_pair_host: `ours` then `base` (may be null), each with a warm-up call (lazy
  /// set-up, occupancy queries, cuRAND's generator state, clocks ramping up) and then repeats.
  template <class A, class B>
  void time_pair(A&& ours, B* base, timing& ours_t, timing& base_t, const repeat_policy& p) {
    auto series = [&](auto&& fn, timing& t) {
      once(fn);
      std::vector<double> v;
      double total = 0;
      for (int r = 0; r < p.max_repeats && (r < p.min_repeats || total < p.min_seconds); ++r) {
        v.push_back(once(fn));
        total += v.back();
      }
      t = {median(v), static_cast<int>(v.size())};
    };
    series(ours, ours_t);
    if (base) series(*base, base_t);
  }

  record base_record(const char* case_name, dist d, std::uint64_t n) const {
    return make_record(case_name, "gpu", device_, d, n, "cuda_events", build_);
  }

  void emit(const record& r) {
    std::fprintf(stderr, "  gpu %-8s %-14s %-14s n=%-6s %9.3f GS/s %8.1f GB/s", r.case_name.c_str(),
                 r.impl.c_str(), r.dist.c_str(), size_label(r.n).c_str(), r.gsamples_per_s,
                 r.gbytes_per_s);
    if (std::isfinite(r.ratio)) std::fprintf(stderr, "  x%.2f vs %s", r.ratio, r.baseline.c_str());
    if (std::isfinite(r.roofline_fraction))
      std::fprintf(stderr, "  %.2f of roofline", r.roofline_fraction);
    std::fputc('\n', stderr);
    out_.push_back(r);
  }

  // ---- fills and roofline

  struct roof {
    double store_s, memset_s;
    int store_reps, memset_reps;
    double best_gbps(std::size_t bytes) const {
      return static_cast<double>(bytes) / std::min(store_s, memset_s) * 1e-9;
    }
  };

  const roof& roofline(std::size_t bytes) {
    auto it = roofs_.find(bytes);
    if (it != roofs_.end()) return it->second;
    int blocks_per_sm = 0;
    GPURAND_CUDA_CHECK(
        cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks_per_sm, store_kernel, block_size, 0));
    const std::size_t n16 = bytes / 16;
    const std::size_t need = (n16 + block_size - 1) / block_size;
    const int grid = static_cast<int>(
        std::max<std::size_t>(1, std::min<std::size_t>(need, std::size_t(blocks_per_sm) * sms_)));
    auto* p = static_cast<unsigned char*>(buffer_->get());
    auto store = [&] {
      store_kernel<<<grid, block_size, 0, stream_>>>(reinterpret_cast<uint4*>(p), n16, p + n16 * 16,
                                                     static_cast<unsigned>(bytes % 16));
      GPURAND_CUDA_CHECK_LAUNCH();
    };
    auto memset = [&] { GPURAND_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, stream_)); };
    timing ts, tm;
    time_pair(store, &memset, ts, tm, policy_);
    return roofs_.emplace(bytes, roof{ts.median, tm.median, ts.repeats, tm.repeats}).first->second;
  }

  void roofline_rows(std::size_t bytes) {
    const roof& rf = roofline(bytes);
    for (int which = 0; which < 2; ++which) {
      record r = base_record("roofline", dist::u32, bytes);
      r.impl = which == 0 ? "store_kernel" : "cudaMemsetAsync";
      r.engine = "none";
      r.dist = "bytes";
      r.value_bytes = 1;
      r.seconds = which == 0 ? rf.store_s : rf.memset_s;
      r.repeats = which == 0 ? rf.store_reps : rf.memset_reps;
      r.roofline = "max(store_kernel, cudaMemsetAsync)";
      r.roofline_gbytes_per_s = rf.best_gbps(bytes);
      r.derive();
      emit(r);
    }
  }

  void fills() {
    std::vector<std::uint64_t> sizes = opt_.sizes;
    if (sizes.empty()) {
      const int step = opt_.quick ? 4 : 1;
      for (int k = 20; k <= 30; k += step) sizes.push_back(std::uint64_t{1} << k);
    }
    std::sort(sizes.begin(), sizes.end());
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    // One buffer for everything, sized for the largest fill that fits; larger sizes are
    // skipped visibly rather than measured on a different buffer.
    std::size_t free_b = 0, total_b = 0;
    GPURAND_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    const std::size_t budget = free_b / 10 * 9;
    while (!sizes.empty() && sizes.back() * 8 + 16 > budget) {
      std::fprintf(stderr, "  gpu fill n=%s skipped: needs %zu MiB, %zu MiB free\n",
                   size_label(sizes.back()).c_str(),
                   static_cast<std::size_t>((sizes.back() * 8) >> 20), free_b >> 20);
      sizes.pop_back();
    }
    if (sizes.empty()) return;
    buffer_ = std::make_unique<device_memory>(sizes.back() * 8 + 16);
    check_curand(curandCreateGenerator(&gen_, CURAND_RNG_PSEUDO_PHILOX4_32_10),
                 "curandCreateGenerator(PHILOX4_32_10)");
    check_curand(curandSetStream(gen_, stream_), "curandSetStream");
    check_curand(curandSetPseudoRandomGeneratorSeed(gen_, seed),
                 "curandSetPseudoRandomGeneratorSeed");
    for (std::uint64_t n : sizes) {
      if (opt_.has(bench_case::roofline)) {
        roofline_rows(n * 4);
        roofline_rows(n * 8);
      }
      if (opt_.has(bench_case::fill))
        for (dist d : fill_dists) fill(d, n);
      if (opt_.has(bench_case::fill))
        for (dist d : own_dists) fill(d, n);
    }
  }

  void fill(dist d, std::uint64_t n) {
    record r = base_record("fill", d, n);
    const bool own = is_own_dist(d);
    const std::uint64_t nb = needs_even_count(d) ? (n + 1) / 2 * 2 : n;
    bulk_request req;
    req.kind = d;
    req.seed = seed;
    req.n = n;
    req.lambda = bench_lambda;  // Poisson
    if (own) set_own_params(req);
    auto ours = [&] {
      req.offset += bulk_draws(d);  // a fresh window per call, as a Generator would take
      detail::visit(
          d, [&](auto c) { detail::gpu_bulk<decltype(c)::value>(req, buffer_->get(), stream_); });
    };
    // gpurand's own distributions: cuRAND's host API has none, so the baseline is a loop over
    // its device functions; the others: cuRAND's host API on the device.
    const loop_params lp = own ? make_loop_params(req, /*on_device=*/true) : loop_params{};
    timing to, tb;
    if (own) {
      visit_loop(d, [&](auto c) {
        auto base = loop_launcher<decltype(c)::value>(req, lp);
        time_pair(ours, &base, to, tb, policy_);
      });
    } else {
      auto base = [&] { curand_generate(gen_, d, buffer_->get(), nb); };
      time_pair(ours, &base, to, tb, policy_);
    }
    r.set_timing(to);
    r.set_baseline(own ? "curand_device_loop" : "curand_host_api_device", tb, nb);
    r.roofline = "max(store_kernel, cudaMemsetAsync)";
    r.roofline_gbytes_per_s = roofline(n * r.value_bytes).best_gbps(n * r.value_bytes);
    if (own) r.note = own_params_note(d);
    if (nb != n) r.note = "cuRAND baseline generated n+1 (even count required)";
    r.derive();
    emit(r);
  }

  /// The device-function loop of D over req.n values, at full occupancy: returns the launch,
  /// its grid computed here, outside the timed calls.
  template <dist D>
  auto loop_launcher(const bulk_request& req, const loop_params& lp) {
    using T = typename detail::dist_traits<D>::value;
    int blocks_per_sm = 0;
    GPURAND_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(
        &blocks_per_sm, curand_loop_kernel<D>, block_size, 0));
    const std::uint64_t need = (req.n + block_size - 1) / block_size;
    const int grid = static_cast<int>(std::max<std::uint64_t>(
        1, std::min<std::uint64_t>(need, std::uint64_t(blocks_per_sm) * sms_)));
    return [this, &req, lp, grid] {
      curand_loop_kernel<D><<<grid, block_size, 0, stream_>>>(
          req.seed, req.offset, req.n, lp, static_cast<T*>(buffer_->get()));
      GPURAND_CUDA_CHECK_LAUNCH();
    };
  }

  // ---- per-thread init

  void init() {
    device_memory out(case_threads * sizeof(unsigned));
    auto* o = static_cast<unsigned*>(out.get());
    const unsigned grid = (case_threads + block_size - 1) / block_size;
    const launch_handle h{seed, 0, 4};
    auto ours = [&] {
      init_gpurand_kernel<<<grid, block_size, 0, stream_>>>(h, case_threads, o);
      GPURAND_CUDA_CHECK_LAUNCH();
    };
    auto xorwow = [&] {
      init_curand_kernel<curandStateXORWOW_t>
          <<<grid, block_size, 0, stream_>>>(seed, 0, case_threads, o);
      GPURAND_CUDA_CHECK_LAUNCH();
    };
    auto philox = [&] {
      init_curand_kernel<curandStatePhilox4_32_10_t>
          <<<grid, block_size, 0, stream_>>>(seed, 0, case_threads, o);
      GPURAND_CUDA_CHECK_LAUNCH();
    };
    // XORWOW's set-up takes milliseconds per launch: a few repeats give a stable median.
    const repeat_policy slow{3, opt_.quick ? 3 : 7, 0.0};
    timing to, tb;
    time_pair(ours, &xorwow, to, tb, slow);
    emit(init_record(to, tb, "curand_init_xorwow"));
    time_pair(ours, &philox, to, tb, policy_);
    emit(init_record(to, tb, "curand_init_philox4_32_10"));
  }

  record init_record(const timing& ours, const timing& base, const char* baseline) const {
    record r = base_record("init", dist::u32, case_threads);
    r.impl = "gpurand_stream";
    r.set_timing(ours);
    r.set_baseline(baseline, base, case_threads);
    r.note = "n = threads; each sets up its stream (subsequence = thread id) and stores one draw";
    r.derive();
    return r;
  }

  // ---- in-kernel consumption

  void consume() {
    device_memory out(case_threads * sizeof(unsigned));
    consume_one<dist::u32>(static_cast<unsigned*>(out.get()));
    consume_one<dist::uniform>(static_cast<unsigned*>(out.get()));
    consume_one<dist::normal>(static_cast<unsigned*>(out.get()));
  }

  template <dist D>
  void consume_one(unsigned* o) {
    const unsigned grid = (case_threads + block_size - 1) / block_size;
    const std::uint64_t draws = draws_for(engine::philox4_32_10, D, consume_draws);
    const launch_handle h{seed, 0, (draws + 3) / 4 * 4};
    auto ours = [&] {
      consume_gpurand_kernel<D>
          <<<grid, block_size, 0, stream_>>>(h, case_threads, consume_draws, o);
      GPURAND_CUDA_CHECK_LAUNCH();
    };
    auto base = [&] {
      consume_curand_kernel<D>
          <<<grid, block_size, 0, stream_>>>(seed, 0, case_threads, consume_draws, o);
      GPURAND_CUDA_CHECK_LAUNCH();
    };
    timing to, tb;
    time_pair(ours, &base, to, tb, policy_);
    const std::uint64_t n = std::uint64_t{case_threads} * consume_draws;
    record r = base_record("consume", D, n);
    r.impl = "gpurand_device_api";
    r.set_timing(to);
    r.set_baseline("curand_device_api_raw", tb, n);
    r.note = "2^20 threads x 1024 draws summed in registers, one store per thread";
    r.derive();
    emit(r);
  }

  const options& opt_;
  std::vector<record>& out_;
  repeat_policy policy_{};
  int sms_ = 1;
  std::string device_;
  std::string build_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
  std::unique_ptr<device_memory> buffer_;
  curandGenerator_t gen_ = nullptr;
  std::map<std::size_t, roof> roofs_;
};

}  // namespace

void run_gpu_cases(const options& opt, std::vector<record>& out) {
  if (!opt.has(bench_case::fill) && !opt.has(bench_case::roofline) && !opt.has(bench_case::init) &&
      !opt.has(bench_case::consume))
    return;
  gpu_runner(opt, out).run();
}

}  // namespace gpurand::bench
