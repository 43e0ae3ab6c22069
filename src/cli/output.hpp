#pragma once
// Output for CLI commands: raw little-endian bytes or round-trip text, to
// stdout or to --output. --output writes like a shell redirection to
// anything that is not a regular file (a pipe, a device node; a symlink is
// followed and its target written, the link stays a link); a regular file,
// or a name that does not exist yet, only appears once complete: a temporary
// beside it is renamed over it on commit and removed on failure or on
// SIGINT/SIGTERM/SIGHUP. `generate --state-out` writes its state file the
// same way (two sinks at once).

#include <sys/types.h>

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

#include "gpurand/gpurand.hpp"

namespace gpurand::cli {

enum class format { raw, text };
format parse_format(std::string_view text);

class output_sink {
 public:
  /// path "-" is stdout. Throws Error(invalid_argument) if `path` is a
  /// directory or cannot be opened or created beside (exit 2, before any
  /// work), Error(io) for other failures. Messages name `flag`.
  output_sink(const std::string& path, format fmt, const std::string& flag = "--output");
  ~output_sink();  // removes the temporary unless commit() succeeded
  output_sink(const output_sink&) = delete;
  output_sink& operator=(const output_sink&) = delete;

  /// Writes n values of `kind` (4- or 8-byte, host memory).
  void write(const void* values, std::size_t n, dist kind);
  /// Writes `text` as it is (whatever the format).
  void write_text(std::string_view text);
  /// Flushes, and for a regular file moves it into place. Throws Error(io) on failure.
  void commit();

 private:
  void put(const char* p, std::size_t n);
  std::string path_;    // as given, for messages
  std::string flag_;    // the flag that named it, for messages
  std::string target_;  // the file renamed over (symlinks followed); empty unless atomic
  std::string tmp_;     // the temporary beside target_; empty unless atomic
  std::FILE* f_ = nullptr;
  format fmt_;
  bool committed_ = false;
  int armed_slot_ = -1;  // the signal cleanup's slot of tmp_
};

/// True when the paths `a` and `b` name one file (after symlinks and "..";
/// hard links too when it exists), so that two outputs would overwrite each other.
bool same_file(const std::string& a, const std::string& b);

}  // namespace gpurand::cli
