#pragma once
// Output for CLI commands: raw little-endian bytes or round-trip text, to
// stdout or to a file that only appears under its name once complete (a
// temporary beside it is renamed on commit and removed on failure).

#include <cstddef>
#include <cstdio>
#include <string>

#include "gpurand/gpurand.hpp"

namespace gpurand::cli {

enum class format { raw, text };
format parse_format(std::string_view text);

class output_sink {
 public:
  /// path "-" is stdout. Throws Error(io) if the file cannot be created.
  output_sink(const std::string& path, format fmt);
  ~output_sink();  // removes the temporary unless commit() succeeded
  output_sink(const output_sink&) = delete;
  output_sink& operator=(const output_sink&) = delete;

  /// Writes n values of `kind` (4- or 8-byte, host memory).
  void write(const void* values, std::size_t n, dist kind);
  /// Flushes and moves the file into place. Throws Error(io) on failure.
  void commit();

 private:
  void put(const char* p, std::size_t n);
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
  format fmt_;
  bool committed_ = false;
};

}  // namespace gpurand::cli
