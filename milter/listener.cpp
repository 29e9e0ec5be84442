#include "milter/listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "milter/log.hpp"

namespace clearbounce::milter {

std::string unix_socket_path(const std::string& socket) {
  for (const char* prefix : {"unix:", "local:"}) {
    const std::size_t length = std::strlen(prefix);
    if (socket.compare(0, length, prefix) == 0) return socket.substr(length);
  }
  return {};
}

void disable_nagle_on_listener() {
  for (int fd = 0; fd < 1024; ++fd) {
    int listening = 0;
    socklen_t length = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || !listening) continue;
    sockaddr_storage address{};
    socklen_t address_length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &address_length) != 0) continue;
    if (address.ss_family != AF_INET && address.ss_family != AF_INET6) continue;
    const int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
      log(LOG_WARNING, "cannot set TCP_NODELAY on the milter socket: %s", std::strerror(errno));
  }
}

void wake_listener(const std::string& path) {
  sockaddr_un address{};
  if (path.empty() || path.size() >= sizeof address.sun_path) return;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  // A refused connection is fine: the listener is gone already.
  (void)::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  ::close(fd);
}

SocketFile::SocketFile(std::string path) : path_(std::move(path)) {
  struct stat created {};
  if (!path_.empty() && stat(path_.c_str(), &created) == 0) {
    present_ = true;
    device_ = created.st_dev;
    inode_ = created.st_ino;
  }
}

void SocketFile::remove_if_ours() const {
  struct stat now {};
  if (!present_ || stat(path_.c_str(), &now) != 0 || now.st_ino != inode_ || now.st_dev != device_) return;
  if (unlink(path_.c_str()) != 0) log(LOG_DEBUG, "cannot remove %s: %s", path_.c_str(), std::strerror(errno));
}

}  // namespace clearbounce::milter
