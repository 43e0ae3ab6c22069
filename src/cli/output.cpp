#include "cli/output.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace gpurand::cli {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "raw output is defined as little-endian; add byte swapping for this target");

format parse_format(std::string_view text) {
  if (text == "raw") return format::raw;
  if (text == "text") return format::text;
  throw Error(errc::invalid_argument,
              "--format: expected raw|text, got '" + std::string(text) + "'");
}

namespace {
[[noreturn]] void io_fail(const std::string& what, const std::string& path,
                          errc code = errc::io) {
  throw Error(code, what + " '" + path + "': " + std::strerror(errno));
}
}  // namespace

output_sink::output_sink(const std::string& path, format fmt) : path_(path), fmt_(fmt) {
  if (path == "-") {
    f_ = stdout;
    return;
  }
  if (path.empty()) throw Error(errc::invalid_argument, "--output: empty file name");
  std::vector<char> name(path.begin(), path.end());
  const char suffix[] = ".tmp.XXXXXX";
  name.insert(name.end(), suffix, suffix + sizeof suffix);  // keeps the NUL
  const int fd = ::mkstemp(name.data());
  // An output path that cannot be created is a bad argument (exit 2), unlike a
  // write that fails later (a full disk: exit 1).
  if (fd < 0) io_fail("--output: cannot create a file beside", path, errc::invalid_argument);
  tmp_ = name.data();
  f_ = ::fdopen(fd, "wb");
  if (!f_) {
    ::close(fd);
    ::unlink(tmp_.c_str());
    io_fail("--output: cannot open", tmp_);
  }
}

output_sink::~output_sink() {
  if (f_ && f_ != stdout) std::fclose(f_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

void output_sink::put(const char* p, std::size_t n) {
  if (std::fwrite(p, 1, n, f_) != n) io_fail("--output: write failed on", path_);
}

void output_sink::write(const void* values, std::size_t n, dist kind) {
  const std::size_t size = value_size(kind);
  if (fmt_ == format::raw) return put(static_cast<const char*>(values), n * size);
  // Text: one value per line, shortest representation that round-trips
  // (std::to_chars), so reading it back gives the same bits.
  std::string buf;
  buf.reserve(1 << 16);
  char tmp[64];
  const auto* bytes = static_cast<const unsigned char*>(values);
  for (std::size_t i = 0; i < n; ++i) {
    std::to_chars_result r{};
    const unsigned char* p = bytes + i * size;
    if (kind == dist::u32) {
      std::uint32_t v;
      std::memcpy(&v, p, 4);
      r = std::to_chars(tmp, tmp + sizeof tmp, v);
    } else if (size == 4) {
      float v;
      std::memcpy(&v, p, 4);
      r = std::to_chars(tmp, tmp + sizeof tmp, v);
    } else {
      double v;
      std::memcpy(&v, p, 8);
      r = std::to_chars(tmp, tmp + sizeof tmp, v);
    }
    buf.append(tmp, r.ptr);
    buf.push_back('\n');
    if (buf.size() > (1 << 16) - 64) {
      put(buf.data(), buf.size());
      buf.clear();
    }
  }
  put(buf.data(), buf.size());
}

void output_sink::commit() {
  if (std::fflush(f_) != 0) io_fail("--output: write failed on", path_);
  if (f_ == stdout) {
    committed_ = true;
    return;
  }
  const int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) io_fail("--output: write failed on", path_);
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) io_fail("--output: cannot rename to", path_);
  committed_ = true;
}

}  // namespace gpurand::cli
