// gpurand/thrust.cuh through Thrust's CPP system (thrust::device_vector lives in host memory
// here, THRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_CPP), so it runs without a GPU: value i of a
// transform over counting_iterator(0..n) is the first value of h.stream(i).

#include <gtest/gtest.h>
#include <thrust/device_vector.h>
#include <thrust/host_vector.h>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/transform.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "curand_ref.hpp"
#include "gpurand/thrust.cuh"

namespace gpurand::test {
namespace {

static_assert(THRUST_DEVICE_SYSTEM == THRUST_DEVICE_SYSTEM_CPP, "this test runs on the host");
static_assert(std::is_trivially_copyable_v<gpurand::thrust::normal>, "passed by value");
static_assert(std::is_trivially_copyable_v<gpurand::thrust::discrete>, "passed by value");
static_assert(gpurand::thrust::normal_double::draws == 4 && gpurand::thrust::discrete::draws == 2);

/// thrust::transform of `f` over [first, first + n) into a device_vector, compared bit for bit
/// with `first_value(h.stream(i))` for every i.
template <class T, class F, class First>
void expect_first_values(const launch_handle& h, F f, First first_value, std::uint64_t first = 0) {
  const std::size_t n = 1003;
  ::thrust::device_vector<T> out(n);
  ::thrust::transform(::thrust::counting_iterator<std::uint64_t>(first),
                      ::thrust::counting_iterator<std::uint64_t>(first + n), out.begin(), f);
  const ::thrust::host_vector<T> got = out;
  for (std::size_t i = 0; i < n; ++i) {
    auto s = h.stream(first + i);
    const T want = first_value(s);
    ASSERT_EQ(0, std::memcmp(&want, &got[i], sizeof(T))) << "index " << first + i;
  }
}

TEST(Thrust, EveryFunctorGivesTheFirstValueOfTheIndexStream) {
  Generator gen(options{std::uint64_t{77}, backend_kind::cpu, 0});
  const launch_handle h = gen.launch(8);
  namespace gt = gpurand::thrust;
  using u32 = std::uint32_t;
  expect_first_values<u32>(h, gt::u32(h), [](auto& s) { return s.next(); });
  expect_first_values<float>(h, gt::uniform(h), [](auto& s) { return s.uniform(); });
  expect_first_values<float>(h, gt::normal(h), [](auto& s) { return s.normal(); });
  expect_first_values<double>(h, gt::uniform_double(h), [](auto& s) { return s.uniform_double(); });
  expect_first_values<double>(h, gt::normal_double(h), [](auto& s) { return s.normal_double(); });
  expect_first_values<float>(h, gt::normal_portable(h),
                             [](auto& s) { return s.normal_portable(); });
  expect_first_values<double>(h, gt::normal_portable_double(h),
                              [](auto& s) { return s.normal_portable_double(); });
  expect_first_values<float>(h, gt::exponential(h, 2.5f),
                             [](auto& s) { return s.exponential(2.5f); });
  expect_first_values<u32>(h, gt::bernoulli(h, 0.3), [](auto& s) { return s.bernoulli(0.3); });
  const discrete_view v = test_table().host_view();
  expect_first_values<u32>(h, gt::discrete(h, v), [&](auto& s) { return s.discrete(v); });
  // Any index range: the value depends on the index only.
  expect_first_values<float>(h, gt::uniform(h), [](auto& s) { return s.uniform(); },
                             std::uint64_t{1} << 40);
}

TEST(Thrust, VariableDrawAndLogNormalFunctorsGiveTheFirstValueOfTheIndexStream) {
  // A window of the largest cap (Poisson: 256 draws a value).
  static_assert(gpurand::thrust::poisson::draws == 256 && gpurand::thrust::integer::draws == 8 &&
                gpurand::thrust::integer64::draws == 8);
  Generator gen(options{std::uint64_t{78}, backend_kind::cpu, 0});
  const launch_handle h = gen.launch(gpurand::thrust::poisson::draws);
  namespace gt = gpurand::thrust;
  expect_first_values<float>(h, gt::log_normal(h, 0.5f, 0.75f),
                             [](auto& s) { return s.log_normal(0.5f, 0.75f); });
  expect_first_values<double>(h, gt::log_normal_double(h, -1.0, 0.5),
                              [](auto& s) { return s.log_normal_double(-1.0, 0.5); });
  for (double lambda : {3.5, 100.0, 6000.0})
    expect_first_values<std::uint32_t>(h, gt::poisson(h, lambda),
                                       [&](auto& s) { return s.poisson(lambda); });
  expect_first_values<std::uint32_t>(h, gt::integer(h, 5, 17),
                                     [](auto& s) { return s.integer(5, 17); });
  expect_first_values<std::uint64_t>(h, gt::integer64(h, 5, UINT64_MAX),
                                     [](auto& s) { return s.integer64(5, UINT64_MAX); });
  // Against the per-thread writer's first column, which gives integer the test range.
  ::thrust::device_vector<std::uint32_t> out(64);
  ::thrust::transform(::thrust::counting_iterator<std::uint64_t>(0),
                      ::thrust::counting_iterator<std::uint64_t>(64), out.begin(),
                      gt::integer(h, test_low, test_high));
  const auto grid = cpu_grid(engine::philox4_32_10, dist::integer, 78, h.offset, 0, 64, 1);
  const ::thrust::host_vector<std::uint32_t> got = out;
  EXPECT_EQ(0, std::memcmp(grid.data(), got.data(), grid.size()));
}

TEST(Thrust, ValuesAreTheGridWritersFirstColumn) {
  // Thread g's first value of the per-thread writer at the launch's offset is value g.
  Generator gen(options{std::uint64_t{5}, backend_kind::cpu, 0});
  const launch_handle h = gen.launch(4);
  ::thrust::device_vector<float> out(64);
  ::thrust::transform(::thrust::counting_iterator<std::uint64_t>(0),
                      ::thrust::counting_iterator<std::uint64_t>(64), out.begin(),
                      gpurand::thrust::exponential(h, test_lambda));
  const auto grid = cpu_grid(engine::philox4_32_10, dist::exponential, 5, h.offset, 0, 64, 1);
  const ::thrust::host_vector<float> got = out;
  EXPECT_EQ(0, std::memcmp(grid.data(), got.data(), grid.size()));
}

}  // namespace
}  // namespace gpurand::test
