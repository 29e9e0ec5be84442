// The accounts named by milter.user and milter.group: looked up before
// anything starts, given the socket, and switched to once it is open.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "config/config.hpp"

namespace clearbounce::milter {

struct Accounts {
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;  // milter.group, or the user's primary group
  std::string user;
  std::string group;         // milter.group as written (empty: none named)
};

// False, with "file: milter.user: no such user" on standard error, when a
// named account does not exist.
bool resolve_accounts(const config::Config::Milter& settings, const std::string& config_path, Accounts& out);

// Gives the unix socket at `path` to the accounts (as far as the process
// may); false, logged, when that fails.
bool give_socket(const std::string& path, const Accounts& accounts);

// Switches to the group, then the user; false, logged, when that fails.
bool drop_privileges(const Accounts& accounts);

}  // namespace clearbounce::milter
