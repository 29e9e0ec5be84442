// The sample messages of tests/milter and how an MTA hands them to a milter:
// shared by the milter's unit tests.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace clearbounce::milter::samples {

inline std::string read_sample(const std::string& name) {
  std::ifstream in(std::string(CLEARBOUNCE_MILTER_SAMPLES) + "/" + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string to_crlf(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// Splits a message (LF line ends) the way an MTA hands it to a milter:
// header fields as name and value (everything after the colon, folds joined
// with a bare LF), and the body with CRLF.
struct Delivered {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

inline Delivered deliver(const std::string& message) {
  Delivered out;
  const auto split = message.find("\n\n");
  std::istringstream head(message.substr(0, split + 1));
  std::string line;
  while (std::getline(head, line)) {
    if ((line[0] == ' ' || line[0] == '\t') && !out.headers.empty()) {
      out.headers.back().second += "\n" + line;
    } else {
      const auto colon = line.find(':');
      out.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
  }
  out.body = to_crlf(message.substr(split + 2));
  return out;
}

}  // namespace clearbounce::milter::samples
