#include "diagnose/smtp_reply.hpp"

#include <algorithm>

namespace clearbounce::diagnose {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_word(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace

bool SmtpReply::offers(std::string_view keyword) const {
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const auto end = line.find_first_of(" \t=");
    if (same_word(line.substr(0, end), keyword)) return true;
  }
  return false;
}

SmtpReplyReader::Status SmtpReplyReader::feed(std::string_view bytes) {
  if (malformed_) return Status::malformed;
  buffer_.append(bytes);
  // What waits behind a complete reply is bounded too: a server may not
  // fill our memory while its first reply is being handled.
  if (buffer_.size() - read_ > kMaxLineBytes * kMaxLines) {
    malformed_ = true;
    return Status::malformed;
  }
  return read_lines();
}

// Reads the complete lines not read yet; each is "ddd-text" (more follow)
// or "ddd text" / "ddd" (the last), all with the same code.
SmtpReplyReader::Status SmtpReplyReader::read_lines() {
  while (!complete_) {
    const auto end = buffer_.find('\n', read_);
    if (end == std::string::npos) {
      if (buffer_.size() - read_ > kMaxLineBytes) malformed_ = true;
      return malformed_ ? Status::malformed : Status::need_more;
    }
    std::string_view line(buffer_.data() + read_, end - read_);
    read_ = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Reply codes run from 1yz to 5yz (RFC 5321 4.2.1).
    const bool well_formed = line.size() >= 3 && line.size() <= kMaxLineBytes && line[0] >= '1' && line[0] <= '5' &&
                             is_digit(line[1]) && is_digit(line[2]) &&
                             (line.size() == 3 || line[3] == ' ' || line[3] == '-');
    const int code = well_formed ? (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0') : 0;
    if (!well_formed || (partial_.code != 0 && code != partial_.code) || partial_.lines.size() == kMaxLines) {
      malformed_ = true;
      return Status::malformed;
    }
    partial_.code = code;
    partial_.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
    complete_ = line.size() == 3 || line[3] == ' ';
  }
  return Status::complete;
}

SmtpReply SmtpReplyReader::take() {
  SmtpReply reply = std::move(partial_);
  partial_ = SmtpReply{};
  complete_ = false;
  buffer_.erase(0, read_);
  read_ = 0;
  return reply;
}

}  // namespace clearbounce::diagnose
