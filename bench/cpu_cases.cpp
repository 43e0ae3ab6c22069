// The CPU cases: gpurand's CPU bulk fills against cuRAND's host generator and against the
// write bandwidth of the same buffer (memset on all cores), plus a scaling study (1 thread vs
// all cores, each SIMD level) that explains where the CPU time goes.

#include <curand.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench.hpp"
#include "backend/cpu/simd.hpp"
#include "gpurand/gpurand.hpp"
#include "backend/cpu/parallel.hpp"

namespace gpurand::bench {

unsigned usable_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string cpu_description() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) model = line.substr(line.find_first_not_of(" \t", colon + 1));
      break;
    }
  }
  return model + ", " + std::to_string(usable_cores()) + " cores";
}

namespace {

constexpr std::uint64_t seed = 0x5eed5eed12345678ull;

/// A page-aligned host buffer, written once at allocation so that no timed call pays for page
/// faults (the "pre-touched"); both gpurand and cuRAND write into the same one.
class host_buffer {
 public:
  explicit host_buffer(std::size_t bytes) : bytes_((bytes + 4095) / 4096 * 4096) {
    p_ = std::aligned_alloc(4096, bytes_);
    if (!p_)
      throw Error(errc::invalid_argument, "--sizes: could not allocate " +
                                              std::to_string(bytes_ >> 20) +
                                              " MiB for the largest fill");
    std::memset(p_, 0, bytes_);
  }
  ~host_buffer() { std::free(p_); }
  host_buffer(const host_buffer&) = delete;
  host_buffer& operator=(const host_buffer&) = delete;
  void* get() const { return p_; }

 private:
  std::size_t bytes_;
  void* p_ = nullptr;
};

/// memset of `bytes` split into `threads` contiguous, cache-line-aligned slices, one std::thread
/// each (the caller takes the first): the write bandwidth of all cores, the CPU roofline.
void memset_threads(void* p, std::size_t bytes, unsigned threads) {
  const std::size_t slice = (bytes / threads + 63) / 64 * 64;
  auto part = [&](unsigned t) {
    const std::size_t begin = std::min(bytes, t * slice);
    const std::size_t end = std::min(bytes, begin + slice);
    std::memset(static_cast<char*>(p) + begin, 0, end - begin);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(part, t);
  part(0);
  for (auto& t : pool) t.join();
}

/// Restores the process-wide CPU settings and SIMD level however a scaling step ends.
struct scoped_cpu_config {
  cpu_settings saved = get_cpu_settings();
  ~scoped_cpu_config() {
    set_cpu_settings(saved);
    detail::simd_force(detail::simd_detected());
  }
};

class cpu_runner {
 public:
  cpu_runner(const options& opt, std::vector<record>& out)
      : opt_(opt), out_(out), policy_(cpu_policy(opt.quick)) {
    sizes_ = opt.sizes;
    if (sizes_.empty())
      sizes_ = opt.quick ? std::vector<std::uint64_t>{1u << 20, 1u << 22}
                         : std::vector<std::uint64_t>{1u << 20, 1u << 22, 1u << 24, 1u << 26};
    std::sort(sizes_.begin(), sizes_.end());
    sizes_.erase(std::unique(sizes_.begin(), sizes_.end()), sizes_.end());
    device_ = cpu_description();
    cores_ = usable_cores();
    build_ = build_description();
  }

  void run() {
    const std::uint64_t max_n = sizes_.back();
    check_memory(max_n);
    // +16 bytes: cuRAND's normal generators need an even count (see fill()).
    buffer_ = std::make_unique<host_buffer>(max_n * 8 + 16);
    check_curand(curandCreateGeneratorHost(&gen_, CURAND_RNG_PSEUDO_PHILOX4_32_10),
                 "curandCreateGeneratorHost(PHILOX4_32_10)");
    try {
      check_curand(curandSetPseudoRandomGeneratorSeed(gen_, seed),
                   "curandSetPseudoRandomGeneratorSeed");
      const bool fills = opt_.has(bench_case::fill);
      if (fills || opt_.has(bench_case::roofline))
        for (std::uint64_t n : sizes_) {
          if (opt_.has(bench_case::roofline)) {
            roofline_row(n * 4);
            roofline_row(n * 8);
          }
          if (fills) {
            for (dist d : fill_dists) fill(d, n);
            for (dist d : own_dists) fill(d, n);
          }
        }
      if (opt_.has(bench_case::scaling)) scaling(max_n);
    } catch (...) {
      curandDestroyGenerator(gen_);
      throw;
    }
    curandDestroyGenerator(gen_);
  }

 private:
  void check_memory(std::uint64_t max_n) const {
    const double phys = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
    const double need = static_cast<double>(max_n) * 8;
    // Half the RAM: the machine is shared with builds, and a swapping run measures the disk.
    if (phys > 0 && need > 0.5 * phys)
      throw Error(errc::invalid_argument,
                  "--sizes: " + size_label(max_n) + " needs " +
                      std::to_string(static_cast<long long>(need / (1 << 20))) +
                      " MiB for doubles, more than half of this machine's memory");
  }

  record base_record(const char* case_name, dist d, std::uint64_t n) const {
    record r = make_record(case_name, "cpu", device_, d, n, "steady_clock", build_);
    r.threads = detail::cpu_threads();
    r.simd = detail::to_string(detail::simd_active());
    return r;
  }

  /// memset bandwidth of the first `bytes` of the buffer on `threads` threads, in GB/s.
  double memset_gbytes_per_s(std::size_t bytes, unsigned threads, int* repeats = nullptr) {
    const auto key = std::make_pair(bytes, threads);
    auto it = memset_cache_.find(key);
    if (it == memset_cache_.end()) {
      timing t, unused;
      time_pair_host([&] { memset_threads(buffer_->get(), bytes, threads); }, {}, policy_, t,
                     unused);
      it = memset_cache_.emplace(key, t).first;
    }
    if (repeats) *repeats = it->second.repeats;
    return static_cast<double>(bytes) / it->second.median * 1e-9;
  }

  void roofline_row(std::size_t bytes, unsigned threads = 0, const char* case_name = "roofline") {
    if (threads == 0) threads = cores_;
    record r = base_record(case_name, dist::u32, bytes);
    r.impl = "memset";
    r.engine = "none";
    r.dist = "bytes";
    r.value_bytes = 1;
    r.threads = threads;
    r.simd = "";
    const double gbps = memset_gbytes_per_s(bytes, threads, &r.repeats);
    r.seconds = static_cast<double>(bytes) / gbps * 1e-9;
    r.roofline = "memset_all_cores";
    r.roofline_gbytes_per_s = memset_gbytes_per_s(bytes, cores_);
    r.note = "std::memset split over " + std::to_string(threads) + " std::thread(s)";
    r.derive();
    emit(r);
  }

  /// cuRAND's normal generators take only even counts; an odd n is measured with n + 1 and
  /// the baseline's throughput counts the values it really produced.
  static std::uint64_t curand_count(dist d, std::uint64_t n) {
    return needs_even_count(d) ? (n + 1) / 2 * 2 : n;
  }

  void fill(dist d, std::uint64_t n) {
    record r = base_record("fill", d, n);
    bulk_request req;
    req.kind = d;
    req.seed = seed;
    req.n = n;
    req.lambda = bench_lambda;
    req.backend = backend_kind::cpu;
    // gpurand's own distributions: cuRAND's host generator has none, so a loop over its device
    // functions on the host is the baseline (curand_loop_fill).
    const bool own = is_own_dist(d);
    if (own) set_own_params(req);
    const std::uint64_t nb = own ? n : curand_count(d, n);
    timing ours, base;
    time_pair_host(
        [&] { fill_once(req); },
        [&] {
          if (own)
            curand_loop_fill(req, buffer_->get());
          else
            curand_generate(gen_, d, buffer_->get(), nb);
        },
        policy_, ours, base);
    r.set_timing(ours);
    r.set_baseline(own ? "curand_device_loop" : "curand_host_generator", base, nb);
    r.roofline = "memset_all_cores";
    r.roofline_gbytes_per_s = memset_gbytes_per_s(n * r.value_bytes, cores_);
    if (own) r.note = own_params_note(d);
    if (nb != n) r.note = "cuRAND baseline generated n+1 (even count required)";
    r.derive();
    emit(r);
  }

  void fill_once(bulk_request& req) {
    fill_offset_ += bulk_draws(req.kind);  // a fresh window per call, as a Generator would take
    req.offset = fill_offset_;
    gpurand::fill(req, buffer_->get());
  }

  /// Uniform fills of n values on 1 thread and on all cores at each SIMD level this CPU has,
  /// plus memset on 1 thread: the measurements that say whether a miss is compute (scales with
  /// threads and SIMD width) or memory (does not).
  void scaling(std::uint64_t n) {
    scoped_cpu_config restore;
    const dist d = dist::uniform;
    bulk_request req;
    req.kind = d;
    req.seed = seed;
    req.n = n;
    req.backend = backend_kind::cpu;
    timing base_t, unused;
    time_pair_host([&] { curand_generate(gen_, d, buffer_->get(), n); }, {}, policy_, base_t,
                   unused);
    std::vector<unsigned> thread_counts{1};
    if (cores_ > 1) thread_counts.push_back(cores_);
    const detail::simd_level top = detail::simd_detected();
    for (unsigned threads : thread_counts)
      for (detail::simd_level level :
           {detail::simd_level::scalar, detail::simd_level::avx2, detail::simd_level::avx512}) {
        if (level > top) continue;
        set_cpu_settings(cpu_settings{threads, 0});
        detail::simd_force(level);
        record r = base_record("scaling", d, n);
        timing ours;
        time_pair_host([&] { fill_once(req); }, {}, policy_, ours, unused);
        r.set_timing(ours);
        r.set_baseline("curand_host_generator", base_t, n);
        r.roofline = "memset_all_cores";
        r.roofline_gbytes_per_s = memset_gbytes_per_s(n * 4, cores_);
        r.derive();
        emit(r);
      }
    roofline_row(n * 4, 1, "scaling");
    if (cores_ > 1) roofline_row(n * 4, cores_, "scaling");
  }

  void emit(const record& r) {
    std::fprintf(stderr, "  cpu %-8s %-8s %-14s n=%-6s t=%-2u %-6s %8.3f GS/s %8.2f GB/s",
                 r.case_name.c_str(), r.impl.c_str(), r.dist.c_str(), size_label(r.n).c_str(),
                 r.threads, r.simd.c_str(), r.gsamples_per_s, r.gbytes_per_s);
    if (std::isfinite(r.ratio)) std::fprintf(stderr, "  x%.2f vs %s", r.ratio, r.baseline.c_str());
    if (std::isfinite(r.roofline_fraction))
      std::fprintf(stderr, "  %.2f of roofline", r.roofline_fraction);
    std::fputc('\n', stderr);
    out_.push_back(r);
  }

  const options& opt_;
  std::vector<record>& out_;
  repeat_policy policy_;
  std::vector<std::uint64_t> sizes_;
  std::string device_;
  unsigned cores_ = 1;
  std::string build_;
  std::unique_ptr<host_buffer> buffer_;
  curandGenerator_t gen_ = nullptr;
  std::uint64_t fill_offset_ = 0;
  std::map<std::pair<std::size_t, unsigned>, timing> memset_cache_;
};

}  // namespace

void run_cpu_cases(const options& opt, std::vector<record>& out) {
  if (opt.has(bench_case::fill) || opt.has(bench_case::roofline) || opt.has(bench_case::scaling)) {
    std::fprintf(stderr, "gpurand-bench: CPU cases on %s (simd %s, %u threads)\n",
                 cpu_description().c_str(), detail::to_string(detail::simd_active()),
                 detail::cpu_threads());
    cpu_runner(opt, out).run();
  }
  // Last, once the fills' buffer and cuRAND's generator are gone: each audit size forks a
  // child, which should inherit as little of the parent as possible.
  run_cpu_audit(opt, out);
}

}  // namespace gpurand::bench
