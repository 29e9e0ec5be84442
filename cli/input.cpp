#include "cli/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <vector>

namespace clearbounce::cli {
namespace {

namespace fs = std::filesystem;

// Deep enough for any real maildir tree; stops a pathological one.
constexpr int kMaxDepth = 64;

std::string errno_text() { return std::system_category().message(errno); }

std::string too_large_text(std::size_t max_bytes) {
  return "input is larger than " + std::to_string(max_bytes >> 20) + " MiB; not analysed";
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads `fd` to its end. `expected` is the size fstat() reported for a
// regular file: the buffer is sized once and filled by one read(). Pipes,
// terminals and /proc files report no size (0) and are read in chunks.
bool read_all(int fd, std::size_t expected, std::size_t max_bytes, std::string& content,
              std::string& error) {
  constexpr std::size_t kChunk = 64 * 1024;
  content.clear();
  std::size_t used = 0;
  for (;;) {
    if (expected > 0 && used == expected) break;  // got what fstat() promised
    if (content.size() - used < 1) {
      const std::size_t grow = expected > 0 ? expected - used : kChunk;
      content.resize(used + std::min(grow, max_bytes + 1 - used));
    }
    const ssize_t got = ::read(fd, content.data() + used, content.size() - used);
    if (got < 0) {
      if (errno == EINTR) continue;
      error = "cannot read: " + errno_text();
      content.clear();
      return false;
    }
    if (got == 0) break;
    used += static_cast<std::size_t>(got);
    if (used > max_bytes) {
      error = too_large_text(max_bytes);
      content.clear();
      return false;
    }
  }
  content.resize(used);
  return true;
}

struct DirEntry {
  std::string name;
  bool is_directory = false;
};

void walk_directory(const fs::path& dir, int depth, const std::function<void(const Source&)>& emit) {
  if (depth > kMaxDepth) {
    emit({dir.string(), false, "directory nesting deeper than " + std::to_string(kMaxDepth) + " levels; not walked"});
    return;
  }
  std::error_code ec;
  std::vector<DirEntry> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.empty() || name.front() == '.') continue;  // hidden: editor files, .git, maildir's .Trash
    std::error_code type_ec;
    if (it->is_symlink(type_ec)) {
      // Follow links to files, never to directories: that could loop.
      if (it->is_regular_file(type_ec)) entries.push_back({std::move(name), false});
    } else if (it->is_directory(type_ec)) {
      entries.push_back({std::move(name), true});
    } else if (it->is_regular_file(type_ec)) {
      entries.push_back({std::move(name), false});
    }
  }
  if (ec) {
    // Report the directory, then still go through whatever was listed.
    emit({dir.string(), false, "cannot read directory: " + ec.message()});
  }
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  for (const DirEntry& entry : entries) {
    const fs::path path = dir / entry.name;
    if (entry.is_directory) {
      walk_directory(path, depth + 1, emit);
    } else {
      emit({path.string(), false, {}});
    }
  }
}

}  // namespace

void expand_argument(const std::string& argument, const std::function<void(const Source&)>& emit) {
  if (argument == "-") {
    emit({argument, true, {}});
    return;
  }
  struct stat st {};
  if (::stat(argument.c_str(), &st) != 0) {
    emit({argument, false, "cannot open: " + errno_text()});
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    walk_directory(fs::path(argument), 0, emit);
    return;
  }
  // Anything else named explicitly is read, so that `<(...)` and /dev/stdin work.
  emit({argument, false, {}});
}

bool read_source(const Source& source, std::size_t max_bytes, std::string& content, std::string& error) {
  if (source.is_stdin) return read_all(STDIN_FILENO, 0, max_bytes, content, error);

  const FileDescriptor fd(::open(source.name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    error = "cannot open: " + errno_text();
    return false;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    error = "cannot read: " + errno_text();
    return false;
  }
  if (S_ISDIR(st.st_mode)) {  // replaced by a directory since it was listed
    error = "cannot read: is a directory";
    return false;
  }
  std::size_t expected = 0;
  if (S_ISREG(st.st_mode)) {
    expected = static_cast<std::size_t>(st.st_size);
    if (expected > max_bytes) {
      error = too_large_text(max_bytes);
      return false;
    }
  }
  return read_all(fd.get(), expected, max_bytes, content, error);
}

}  // namespace clearbounce::cli
