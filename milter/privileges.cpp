#include "milter/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "milter/log.hpp"

namespace clearbounce::milter {

bool resolve_accounts(const config::Config::Milter& settings, const std::string& config_path, Accounts& out) {
  if (!settings.user.empty()) {
    const passwd* pw = getpwnam(settings.user.c_str());
    if (pw == nullptr) {
      std::fprintf(stderr, "%s: milter.user: no such user \"%s\"\n", config_path.c_str(), settings.user.c_str());
      return false;
    }
    out.uid = pw->pw_uid;
    out.gid = pw->pw_gid;
    out.user = settings.user;
  }
  if (!settings.group.empty()) {
    const group* gr = getgrnam(settings.group.c_str());
    if (gr == nullptr) {
      std::fprintf(stderr, "%s: milter.group: no such group \"%s\"\n", config_path.c_str(), settings.group.c_str());
      return false;
    }
    out.gid = gr->gr_gid;
    out.group = settings.group;
  }
  return true;
}

bool give_socket(const std::string& path, const Accounts& accounts) {
  constexpr auto kUnchangedUser = static_cast<uid_t>(-1);
  constexpr auto kUnchangedGroup = static_cast<gid_t>(-1);
  // Only root may give a file away; anyone may hand it to a group of theirs.
  const uid_t owner = geteuid() == 0 && accounts.uid ? *accounts.uid : kUnchangedUser;
  const gid_t group = !accounts.group.empty() ? *accounts.gid : kUnchangedGroup;
  if (owner == kUnchangedUser && group == kUnchangedGroup) return true;
  if (chown(path.c_str(), owner, group) != 0) {
    log(LOG_ERR, "cannot give socket %s to user %s group %s: %s", path.c_str(), accounts.user.c_str(),
        accounts.group.c_str(), std::strerror(errno));
    return false;
  }
  return true;
}

bool drop_privileges(const Accounts& accounts) {
  const bool root = geteuid() == 0;
  // Not root and no user to become: the group can still own the socket, but
  // the process keeps its own.
  const bool switch_group = accounts.gid && getegid() != *accounts.gid && (root || accounts.uid);
  if (switch_group && setgid(*accounts.gid) != 0) {
    log(LOG_ERR, "cannot switch to group %u: %s", static_cast<unsigned>(*accounts.gid), std::strerror(errno));
    return false;
  }
  if (accounts.uid && geteuid() != *accounts.uid) {
    if (!root) {
      log(LOG_ERR, "cannot switch to user %s: not started as root", accounts.user.c_str());
      return false;
    }
    if (initgroups(accounts.user.c_str(), accounts.gid.value_or(getegid())) != 0 || setuid(*accounts.uid) != 0) {
      log(LOG_ERR, "cannot switch to user %s: %s", accounts.user.c_str(), std::strerror(errno));
      return false;
    }
  }
  return true;
}

}  // namespace clearbounce::milter
