// The listening socket that libmilter opens from milter.socket: what the
// daemon does to it besides (TCP_NODELAY, waking the listener to stop, and
// removing the socket file at exit).
#pragma once

#include <sys/types.h>

#include <string>

namespace clearbounce::milter {

// The path of a unix socket ("unix:/p", "local:/p"), else empty.
std::string unix_socket_path(const std::string& socket);

// libmilter writes each change of an end-of-message reply as its own small
// packet and Postfix answers only the last: with Nagle's algorithm that
// waits for a delayed ACK, 40 ms per rewritten report over TCP. libmilter
// does not hand out its listening socket, so it is found among the open
// descriptors; accepted connections inherit TCP_NODELAY from it on Linux.
void disable_nagle_on_listener();

// Connects to the unix socket and closes the connection at once: wakes
// libmilter's listener from its poll so that smfi_stop() returns.
void wake_listener(const std::string& path);

// The socket file as created, so that only this one is removed at exit,
// not one that a newer instance has created meanwhile.
class SocketFile {
 public:
  // Remembers the file at `path` (nothing when empty or missing).
  explicit SocketFile(std::string path);
  // Removes it if it is still the one remembered.
  void remove_if_ours() const;

 private:
  std::string path_;
  bool present_ = false;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

}  // namespace clearbounce::milter
