// gpurand::discrete_table: the alias table on the host (alias_table.cpp builds it) and its
// copies on CUDA devices, made on first use per device through the runtime seam.

#include "gpurand/discrete.hpp"

#include <mutex>
#include <utility>

#include "alias_table.hpp"
#include "backend/cuda/cuda_check.hpp"
#include "backend/cuda/host.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand {

struct discrete_table::impl {
  std::vector<detail::alias_entry> host;
  std::mutex m;
  /// (device, copy) for every device the table was used on.
  std::vector<std::pair<int, std::unique_ptr<detail::cuda::device_buffer>>> copies;
};

namespace {
const char* moved_from_table = "table: a discrete_table used after being moved from";
}

discrete_table::discrete_table(const double* weights, std::size_t n)
    : impl_(std::make_unique<impl>()) {
  impl_->host = detail::build_alias_table(weights, n);
}
discrete_table::discrete_table(const std::vector<double>& weights)
    : discrete_table(weights.data(), weights.size()) {}
discrete_table::discrete_table(std::initializer_list<double> weights)
    : discrete_table(weights.begin(), weights.size()) {}
discrete_table::~discrete_table() = default;
discrete_table::discrete_table(discrete_table&&) noexcept = default;
discrete_table& discrete_table::operator=(discrete_table&&) noexcept = default;

std::uint32_t discrete_table::size() const {
  if (!impl_) throw Error(errc::invalid_argument, moved_from_table);
  return static_cast<std::uint32_t>(impl_->host.size());
}

const std::vector<detail::alias_entry>& discrete_table::entries() const {
  if (!impl_) throw Error(errc::invalid_argument, moved_from_table);
  return impl_->host;
}

discrete_view discrete_table::host_view() const {
  return {entries().data(), size(), memory_space::host};
}

discrete_view discrete_table::device_view() const {
  const std::uint32_t n = size();
  detail::cuda::require_usable("discrete_table::device_view");
  int device = 0;
  GPURAND_CUDA_CHECK(detail::cuda::runtime().get_device(&device));
  std::lock_guard<std::mutex> lock(impl_->m);
  for (const auto& c : impl_->copies)
    if (c.first == device)
      return {static_cast<const detail::alias_entry*>(c.second->get()), n, memory_space::device};
  const std::size_t bytes = impl_->host.size() * sizeof(detail::alias_entry);
  auto buf = std::make_unique<detail::cuda::device_buffer>(bytes);
  GPURAND_CUDA_CHECK(detail::cuda::runtime().memcpy_async(buf->get(), impl_->host.data(), bytes,
                                                          nullptr));
  GPURAND_CUDA_CHECK(detail::cuda::runtime().stream_synchronize(nullptr));
  const auto* p = static_cast<const detail::alias_entry*>(buf->get());
  impl_->copies.emplace_back(device, std::move(buf));
  return {p, n, memory_space::device};
}

}  // namespace gpurand
