// Seeds from the OS: getrandom(2), falling back to /dev/urandom. Never time
// or pid: two processes started in the same second must not share a seed.

#include "entropy.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "gpurand/gpurand.hpp"

namespace gpurand {
namespace detail {
namespace {

[[noreturn]] void entropy_fail(const std::string& what, int err) {
  throw Error(errc::entropy,
              "os_entropy64: getrandom(2) is unavailable and " + what + ": " + std::strerror(err));
}

/// Reads exactly n bytes; returns 0 or the errno of the failing read (EIO for
/// an end of file, which a character device of entropy never reaches).
int read_all(int fd, unsigned char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return errno;
    if (r == 0) return EIO;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return 0;
}

}  // namespace

std::uint64_t os_entropy64_from(bool use_getrandom, const char* device_path) {
  unsigned char buf[8];
  std::size_t got = 0;
  while (use_getrandom && got < sizeof buf) {
    const ssize_t r = ::getrandom(buf + got, sizeof buf - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;  // ENOSYS (old kernel) or a seccomp filter: fall back
    got += static_cast<std::size_t>(r);
  }
  if (got < sizeof buf) {
    const std::string name = std::string("'") + device_path + "'";
    const int fd = ::open(device_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) entropy_fail(name + " could not be opened", errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      entropy_fail(name + " could not be inspected", err);
    }
    if (!S_ISCHR(st.st_mode)) {
      ::close(fd);
      throw Error(errc::entropy, "os_entropy64: getrandom(2) is unavailable and " + name +
                                     " is not a character device (a regular file or pipe there "
                                     "would hand every process the same seed)");
    }
    const int err = read_all(fd, buf + got, sizeof buf - got);
    ::close(fd);
    if (err != 0) entropy_fail(name + " could not be read", err);
  }
  std::uint64_t v;
  std::memcpy(&v, buf, sizeof v);
  return v;
}

}  // namespace detail

std::uint64_t os_entropy64() { return detail::os_entropy64_from(true, "/dev/urandom"); }

}  // namespace gpurand
