// Finding and reading the messages named on the command line.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace clearbounce::cli {

// One message to read: a file, or standard input for "-". When the argument
// or a directory on the way could not be used, `error` says why and there is
// nothing to read.
struct Source {
  std::string name;  // as shown to the user: the argument, or the path found under it
  bool is_stdin = false;
  std::string error;
};

// Turns one command-line argument into sources, in order: "-" is standard
// input, a directory is walked recursively in sorted order (regular files
// only, hidden entries and symbolic links to directories skipped), anything
// else is read as a file. Never throws on file-system errors: they become
// sources with `error` set, so one bad path never stops a run.
void expand_argument(const std::string& argument, const std::function<void(const Source&)>& emit);

// Reads a whole source into `content` (reusing its storage), with a single
// read() for a regular file. Input larger than `max_bytes` is refused rather
// than read, so a huge file cannot exhaust memory. On failure returns false
// and sets `error` to one sentence.
bool read_source(const Source& source, std::size_t max_bytes, std::string& content, std::string& error);

}  // namespace clearbounce::cli
