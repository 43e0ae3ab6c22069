#include "cli/output.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <type_traits>
#include <vector>

#include "gpurand/detail/table.hpp"

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

[[noreturn]] void io_fail(const std::string& what, const std::string& path, errc code = errc::io) {
  throw Error(code, what + " '" + path + "': " + std::strerror(errno));
}

// ---------------------------------------------------------------------------
// Removing the temporaries when the process is interrupted. A few at a time
// (the output and the --state-out file of `generate`). The handler only reads
// slots that are complete before they are marked armed, and calls
// async-signal-safe functions (unlink, raise).

constexpr int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr std::size_t max_armed = 2;
char armed_path[max_armed][PATH_MAX + 1];
volatile std::sig_atomic_t armed[max_armed] = {};
struct sigaction previous[std::size(cleanup_signals)];
bool installed[std::size(cleanup_signals)];

bool any_armed() {
  for (std::size_t i = 0; i < max_armed; ++i)
    if (armed[i]) return true;
  return false;
}

extern "C" void remove_temporary_and_reraise(int sig) {
  for (std::size_t i = 0; i < max_armed; ++i)
    if (armed[i]) ::unlink(armed_path[i]);
  // SA_RESETHAND restored the default action; the signal is blocked while
  // this handler runs and is delivered again when it returns, so the
  // process ends as the signal says (a shell sees 128 + sig).
  ::raise(sig);
}

/// Call with the cleanup signals blocked; `tmp` fits armed_path. Returns the
/// slot, or -1 when all are taken (then nothing removes `tmp` on a signal).
int arm_cleanup(const char* tmp) {
  std::size_t slot = 0;
  while (slot < max_armed && armed[slot]) ++slot;
  if (slot == max_armed) return -1;
  const bool first = !any_armed();
  std::strcpy(armed_path[slot], tmp);
  armed[slot] = 1;
  if (!first) return static_cast<int>(slot);  // the handlers are in place
  for (std::size_t i = 0; i < std::size(cleanup_signals); ++i) {
    struct sigaction now {};
    installed[i] = false;
    if (::sigaction(cleanup_signals[i], nullptr, &previous[i]) != 0) continue;
    // A signal the parent set to be ignored (nohup, a background job) stays ignored.
    if (previous[i].sa_handler == SIG_IGN) continue;
    now.sa_handler = remove_temporary_and_reraise;
    sigemptyset(&now.sa_mask);
    now.sa_flags = SA_RESETHAND;
    installed[i] = ::sigaction(cleanup_signals[i], &now, nullptr) == 0;
  }
  return static_cast<int>(slot);
}

void disarm_cleanup(int& slot) {
  if (slot < 0 || !armed[slot]) return;
  armed[slot] = 0;
  slot = -1;
  if (any_armed()) return;
  for (std::size_t i = 0; i < std::size(cleanup_signals); ++i)
    if (installed[i]) ::sigaction(cleanup_signals[i], &previous[i], nullptr);
}

/// The path a redirection to `path` ends up at: a chain of symlinks is
/// followed (as open(2) would) to a name that is not a link, which may not
/// exist yet (a dangling link: the shell creates its target).
std::string follow_links(const std::string& path, const std::string& flag) {
  std::string p = path;
  for (int hops = 0;; ++hops) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    if (hops == 40) {  // Linux's own limit (ELOOP)
      errno = ELOOP;
      io_fail(flag + ": cannot follow", path, errc::invalid_argument);
    }
    std::vector<char> link(PATH_MAX + 1);
    const ssize_t n = ::readlink(p.c_str(), link.data(), link.size());
    if (n < 0) io_fail(flag + ": cannot read the symbolic link", p, errc::invalid_argument);
    if (static_cast<std::size_t>(n) >= link.size()) {
      errno = ENAMETOOLONG;
      io_fail(flag + ": cannot read the symbolic link", p, errc::invalid_argument);
    }
    const std::string target(link.data(), static_cast<std::size_t>(n));
    if (!target.empty() && target[0] == '/') {
      p = target;
    } else {  // relative to the directory that holds the link
      const auto slash = p.rfind('/');
      p = (slash == std::string::npos ? std::string() : p.substr(0, slash + 1)) + target;
    }
  }
}

}  // namespace

output_sink::output_sink(const std::string& path, format fmt, const std::string& flag)
    : path_(path), flag_(flag), fmt_(fmt) {
  if (path == "-") {
    f_ = stdout;
    return;
  }
  if (path.empty()) throw Error(errc::invalid_argument, flag_ + ": empty file name");
  const std::string target = follow_links(path, flag_);
  struct stat st {};
  const bool exists = ::lstat(target.c_str(), &st) == 0;
  if (!exists && errno != ENOENT) io_fail(flag_ + ": cannot use", path, errc::invalid_argument);
  if (exists && S_ISDIR(st.st_mode))
    throw Error(errc::invalid_argument, flag_ + ": '" + path + "' is a directory");
  if (exists && !S_ISREG(st.st_mode)) {
    // A pipe, a device, a socket: write to it as `>` would. Renaming over it
    // would replace the node itself (e.g. turn /dev/null into a file).
    const int fd = ::open(target.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) io_fail(flag_ + ": cannot open", path, errc::invalid_argument);
    f_ = ::fdopen(fd, "wb");
    if (!f_) {
      ::close(fd);
      io_fail(flag_ + ": cannot open", path);
    }
    return;
  }
  // A regular file, or a new one: write a temporary beside it and rename it
  // over the target once whole, so the name never holds a partial result.
  // The mode is what `>` would give: the existing file's permissions, or
  // 0666 less the umask for a new one (mkstemp makes 0600).
  mode_t mode;
  if (exists) {
    mode = st.st_mode & 0777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  std::vector<char> name(target.begin(), target.end());
  const char suffix[] = ".tmp.XXXXXX";
  name.insert(name.end(), suffix, suffix + sizeof suffix);  // keeps the NUL
  if (name.size() > sizeof armed_path[0]) {
    errno = ENAMETOOLONG;
    io_fail(flag_ + ": cannot create a file beside", path, errc::invalid_argument);
  }
  // The cleanup signals are held back from just before the temporary exists
  // until the handler knows its name: no interrupt can leave it behind.
  sigset_t block, old;
  sigemptyset(&block);
  for (int sig : cleanup_signals) sigaddset(&block, sig);
  ::pthread_sigmask(SIG_BLOCK, &block, &old);
  const int fd = ::mkstemp(name.data());
  const int create_errno = errno;
  if (fd >= 0) armed_slot_ = arm_cleanup(name.data());
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  // An output path that cannot be created is a bad argument (exit 2), unlike a
  // write that fails later (a full disk: exit 1).
  if (fd < 0) {
    errno = create_errno;
    io_fail(flag_ + ": cannot create a file beside", path, errc::invalid_argument);
  }
  tmp_ = name.data();
  target_ = target;
  if (::fchmod(fd, mode) != 0) {
    const int e = errno;
    ::close(fd);
    ::unlink(tmp_.c_str());
    disarm_cleanup(armed_slot_);
    errno = e;
    io_fail(flag_ + ": cannot set the mode of", tmp_);
  }
  f_ = ::fdopen(fd, "wb");
  if (!f_) {
    const int e = errno;
    ::close(fd);
    ::unlink(tmp_.c_str());
    disarm_cleanup(armed_slot_);
    errno = e;
    io_fail(flag_ + ": cannot open", tmp_);
  }
}

output_sink::~output_sink() {
  if (f_ && f_ != stdout) std::fclose(f_);
  if (!tmp_.empty() && !committed_) {
    ::unlink(tmp_.c_str());
    disarm_cleanup(armed_slot_);
  }
}

void output_sink::put(const char* p, std::size_t n) {
  if (std::fwrite(p, 1, n, f_) != n) io_fail(flag_ + ": write failed on", path_);
}

void output_sink::write_text(std::string_view text) { put(text.data(), text.size()); }

void output_sink::write(const void* values, std::size_t n, dist kind) {
  const std::size_t size = value_size(kind);
  if (fmt_ == format::raw) return put(static_cast<const char*>(values), n * size);
  // Text: one value per line, shortest representation that round-trips
  // (std::to_chars), so reading it back gives the same bits.
  std::string buf;
  buf.reserve(1 << 16);
  char tmp[64];
  const auto* bytes = static_cast<const unsigned char*>(values);
  bool integral = false;  // u32, the integers, bernoulli, discrete: written as integers
  gpurand::detail::visit(kind, [&](auto c) {
    integral = std::is_integral_v<typename gpurand::detail::dist_traits<decltype(c)::value>::value>;
  });
  for (std::size_t i = 0; i < n; ++i) {
    std::to_chars_result r{};
    const unsigned char* p = bytes + i * size;
    if (integral && size == 4) {
      std::uint32_t v;
      std::memcpy(&v, p, 4);
      r = std::to_chars(tmp, tmp + sizeof tmp, v);
    } else if (integral) {
      std::uint64_t v;
      std::memcpy(&v, p, 8);
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
  if (std::fflush(f_) != 0) io_fail(flag_ + ": write failed on", path_);
  if (f_ == stdout) {
    committed_ = true;
    return;
  }
  const int rc = std::fclose(f_);
  f_ = nullptr;
  if (rc != 0) io_fail(flag_ + ": write failed on", path_);
  if (!tmp_.empty()) {
    if (std::rename(tmp_.c_str(), target_.c_str()) != 0)
      io_fail(flag_ + ": cannot rename to", target_);
    disarm_cleanup(
        armed_slot_);  // after the rename: an interrupt before it still removes the temporary
  }
  committed_ = true;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0)
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  std::error_code ea, eb;
  const std::filesystem::path ca = std::filesystem::weakly_canonical(a, ea),
                              cb = std::filesystem::weakly_canonical(b, eb);
  return !ea && !eb && ca == cb;
}

}  // namespace gpurand::cli
