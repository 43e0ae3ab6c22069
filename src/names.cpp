// Names and parsing of the public enums, value sizes and draw accounting, all
// read off the one table in gpurand/detail/table.hpp.

#include <string>

#include "gpurand/detail/table.hpp"
#include "gpurand/gpurand.hpp"

namespace gpurand {

const char* to_string(backend_kind b) noexcept {
  switch (b) {
    case backend_kind::automatic: return "auto";
    case backend_kind::cpu: return "cpu";
    case backend_kind::gpu: return "gpu";
  }
  return "?";
}

const char* to_string(engine e) noexcept {
  const char* name = "?";
  detail::for_each_engine([&](auto c) {
    if (c.value == e) name = detail::engine_traits_base<c.value>::name;
  });
  return name;
}

const char* to_string(dist d) noexcept {
  const char* name = "?";
  detail::for_each_dist([&](auto c) {
    if (c.value == d) name = detail::dist_traits<c.value>::name;
  });
  return name;
}

namespace {
[[noreturn]] void bad_name(std::string_view what, std::string_view text,
                           const std::string& choices) {
  throw Error(errc::invalid_argument, std::string(what) + ": expected one of " + choices +
                                          ", got '" + std::string(text) + "'");
}
}  // namespace

backend_kind parse_backend(std::string_view text, std::string_view what) {
  for (auto b : {backend_kind::automatic, backend_kind::cpu, backend_kind::gpu})
    if (text == to_string(b)) return b;
  bad_name(what, text, "auto|cpu|gpu");
}

engine parse_engine(std::string_view text, std::string_view what) {
  std::optional<engine> found;
  std::string choices;
  detail::for_each_engine([&](auto c) {
    const char* name = detail::engine_traits_base<c.value>::name;
    if (text == name) found = c.value;
    choices += (choices.empty() ? "" : "|") + std::string(name);
  });
  if (!found) bad_name(what, text, choices);
  return *found;
}

dist parse_dist(std::string_view text, std::string_view what) {
  std::optional<dist> found;
  std::string choices;
  detail::for_each_dist([&](auto c) {
    const char* name = detail::dist_traits<c.value>::name;
    if (text == name) found = c.value;
    choices += (choices.empty() ? "" : "|") + std::string(name);
  });
  if (!found) bad_name(what, text, choices);
  return *found;
}

std::size_t value_size(dist d) noexcept {
  std::size_t size = 4;
  detail::for_each_dist([&](auto c) {
    if (c.value == d) size = sizeof(typename detail::dist_traits<c.value>::value);
  });
  return size;
}

std::uint64_t draws_for(engine e, dist d, std::uint64_t k) {
  // Box-Muller distributions draw a whole pair at once: k values take
  // ceil(k/2) pairs.
  std::uint64_t units = k, each = 1;
  detail::visit(d, [&](auto c) {
    using traits = detail::dist_traits<c.value>;
    units = traits::pairs ? k / 2 + (k & 1) : k;
    each = traits::draws(e);
  });
  if (units > UINT64_MAX / each)
    throw Error(errc::exhausted, "draws_for: " + std::to_string(k) + " values of " + to_string(d) +
                                     " exceed the 64-bit offset space");
  return units * each;
}

std::uint64_t bulk_draws(dist d) noexcept {
  std::uint64_t draws = 4;
  detail::for_each_dist([&](auto c) {
    if (c.value == d) draws = detail::dist_traits<c.value>::bulk_draws;
  });
  return draws;
}

}  // namespace gpurand
