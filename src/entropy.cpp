// Seeds from the OS: getrandom(2), falling back to /dev/urandom. Never time
// or pid: two processes started in the same second must not share a seed.

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "gpurand/gpurand.hpp"

namespace gpurand {
namespace {

bool read_all(int fd, unsigned char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

std::uint64_t os_entropy64() {
  unsigned char buf[8];
  std::size_t got = 0;
  while (got < sizeof buf) {
    const ssize_t r = ::getrandom(buf + got, sizeof buf - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;  // ENOSYS (old kernel) or a seccomp filter: fall back
    got += static_cast<std::size_t>(r);
  }
  if (got < sizeof buf) {
    const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    const int saved = errno;
    if (fd < 0 || !read_all(fd, buf + got, sizeof buf - got)) {
      if (fd >= 0) ::close(fd);
      throw Error(errc::entropy, std::string("os_entropy64: getrandom(2) failed and /dev/urandom "
                                             "could not be read: ") +
                                     std::strerror(saved));
    }
    ::close(fd);
  }
  std::uint64_t v;
  std::memcpy(&v, buf, sizeof v);
  return v;
}

}  // namespace gpurand
