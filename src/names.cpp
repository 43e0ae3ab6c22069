// Names and parsing of the public enums, value sizes and draw accounting.

#include <string>

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
  switch (e) {
    case engine::philox4_32_10: return "philox";
    case engine::xorwow: return "xorwow";
    case engine::mrg32k3a: return "mrg32k3a";
  }
  return "?";
}

const char* to_string(dist d) noexcept {
  switch (d) {
    case dist::u32: return "u32";
    case dist::uniform: return "uniform";
    case dist::normal: return "normal";
    case dist::uniform_double: return "uniform-double";
    case dist::normal_double: return "normal-double";
  }
  return "?";
}

namespace {
[[noreturn]] void bad_name(std::string_view what, std::string_view text, const char* choices) {
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
  for (auto e : {engine::philox4_32_10, engine::xorwow, engine::mrg32k3a})
    if (text == to_string(e)) return e;
  bad_name(what, text, "philox|xorwow|mrg32k3a");
}

dist parse_dist(std::string_view text, std::string_view what) {
  for (auto d : {dist::u32, dist::uniform, dist::normal, dist::uniform_double, dist::normal_double})
    if (text == to_string(d)) return d;
  bad_name(what, text, "u32|uniform|normal|uniform-double|normal-double");
}

std::size_t value_size(dist d) noexcept {
  return (d == dist::uniform_double || d == dist::normal_double) ? 8 : 4;
}

std::uint64_t draws_for(engine e, dist d, std::uint64_t k) {
  // Draws per call, read off cuRAND's curand_uniform.h / curand_normal.h and
  // mirrored by detail::engine_traits in device.cuh. Normals are generated in
  // Box-Muller pairs: k values take ceil(k/2) pairs.
  std::uint64_t per = 1, pairs = 0;
  switch (d) {
    case dist::u32:
    case dist::uniform: per = 1; break;
    case dist::uniform_double: per = (e == engine::xorwow) ? 2 : 1; break;
    case dist::normal:
      per = 0;
      pairs = 2;
      break;
    case dist::normal_double:
      per = 0;
      pairs = (e == engine::mrg32k3a) ? 2 : 4;
      break;
  }
  const std::uint64_t units = per ? k : k / 2 + (k & 1);
  const std::uint64_t each = per ? per : pairs;
  if (units > UINT64_MAX / each)
    throw Error(errc::exhausted, "draws_for: " + std::to_string(k) + " values of " + to_string(d) +
                                     " exceed the 64-bit offset space");
  return units * each;
}

}  // namespace gpurand
