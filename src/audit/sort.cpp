// The audit's key sort: an in-place MSD radix sort (American flag sort) on the
// library's executor, or Thrust on the GPU (kernels/audit_sort.cu).

#include <atomic>

#include "audit/internal.hpp"

#if defined(GPURAND_HAVE_CUDA) && GPURAND_HAVE_CUDA
#include "audit_sort.hpp"
#endif

namespace gpurand::audit::detail {

template <class Key>
inline unsigned digit_at(Key k, int shift) {
  return static_cast<unsigned>(k >> shift) & 0xFFu;
}

// The next digit below `shift`; a last digit narrower than 8 bits is taken as
// bits [7:0], which is fine because the bits above it are equal in a bucket.
inline int lower_shift(int shift) { return shift >= 8 ? shift - 8 : (shift > 0 ? 0 : -1); }

// Permutes a[0, n) so that keys are grouped by digit; `count` holds the digit
// histogram, `start` receives the 257 bucket boundaries.
template <class Key>
void flag_permute(Key* a, const std::size_t* count, std::size_t* start, int shift) {
  std::size_t next[256];
  start[0] = 0;
  for (unsigned b = 0; b < 256; ++b) {
    start[b + 1] = start[b] + count[b];
    next[b] = start[b];
  }
  for (unsigned b = 0; b < 256; ++b) {
    const std::size_t end = start[b + 1];
    while (next[b] < end) {
      Key v = a[next[b]];
      unsigned d = digit_at(v, shift);
      while (d != b) {
        std::swap(v, a[next[d]++]);
        d = digit_at(v, shift);
      }
      a[next[b]++] = v;
    }
  }
}

template <class Key>
void radix_sort_serial(Key* a, std::size_t n, int shift) {
  if (n < 2) return;
  if (n <= 512 || shift < 0) {
    std::sort(a, a + n);
    return;
  }
  std::size_t count[256] = {};
  for (std::size_t i = 0; i < n; ++i) ++count[digit_at(a[i], shift)];
  std::size_t start[257];
  flag_permute(a, count, start, shift);
  const int next = lower_shift(shift);
  if (next < 0) return;
  for (unsigned b = 0; b < 256; ++b) radix_sort_serial(a + start[b], count[b], next);
}

template <class Key>
void parallel_radix_sort(Key* a, std::size_t n, unsigned workers) {
  if (n < 2) return;
  // Skip the leading bits every key shares, so that the first digit really
  // splits the data (values from a small set, floats in (0, 1]).
  std::vector<Key> ors(workers, Key{0}), ands(workers, static_cast<Key>(~Key{0}));
  parallel_chunks(workers, n, [&](unsigned w, u64 b, u64 e) {
    Key o = 0, x = static_cast<Key>(~Key{0});
    for (u64 i = b; i < e; ++i) {
      o |= a[i];
      x &= a[i];
    }
    ors[w] = o;
    ands[w] = x;
  });
  Key any = 0, all = static_cast<Key>(~Key{0});
  for (unsigned w = 0; w < workers; ++w) {
    any |= ors[w];
    all &= ands[w];
  }
  const Key differ = static_cast<Key>(any ^ all);
  if (differ == 0) return;  // all keys equal
  const int top = static_cast<int>(bit_width(static_cast<u64>(differ))) - 1;
  const int shift = std::max(0, top - 7);
  if (workers <= 1 || n < (std::size_t{1} << 16)) {
    radix_sort_serial(a, n, shift);
    return;
  }
  std::vector<std::size_t> partial(static_cast<std::size_t>(workers) * 256, 0);
  parallel_chunks(workers, n, [&](unsigned w, u64 b, u64 e) {
    std::size_t* c = partial.data() + static_cast<std::size_t>(w) * 256;
    for (u64 i = b; i < e; ++i) ++c[digit_at(a[i], shift)];
  });
  std::size_t count[256] = {};
  for (unsigned w = 0; w < workers; ++w)
    for (unsigned b = 0; b < 256; ++b) count[b] += partial[static_cast<std::size_t>(w) * 256 + b];
  std::size_t start[257];
  flag_permute(a, count, start, shift);  // one pass; the buckets then sort independently
  const int next = lower_shift(shift);
  if (next < 0) return;
  std::vector<unsigned> order(256);
  for (unsigned b = 0; b < 256; ++b) order[b] = b;
  std::sort(order.begin(), order.end(),
            [&](unsigned x, unsigned y) { return count[x] > count[y]; });
  std::atomic<unsigned> taken{0};
  parallel_chunks(workers, workers, [&](unsigned, u64, u64) {
    for (unsigned i = taken++; i < 256; i = taken++) {
      const unsigned b = order[i];
      radix_sort_serial(a + start[b], count[b], next);
    }
  });
}

void sort_keys(std::vector<u64>& keys, const options& opts, unsigned workers, bool& used_gpu) {
#if defined(GPURAND_HAVE_CUDA) && GPURAND_HAVE_CUDA
  if (opts.use_gpu && keys.size() > 1) {
    // Throws Error(cuda_error) itself if the copy back fails.
    if (::gpurand::detail::gpu_sort_u64(keys.data(), keys.size())) {
      used_gpu = true;
      return;
    }
  }
#else
  (void)opts;
  (void)used_gpu;
#endif
  parallel_radix_sort(keys.data(), keys.size(), workers);
}

template void parallel_radix_sort<std::uint32_t>(std::uint32_t*, std::size_t, unsigned);
template void parallel_radix_sort<std::uint64_t>(std::uint64_t*, std::size_t, unsigned);

}  // namespace gpurand::audit::detail
