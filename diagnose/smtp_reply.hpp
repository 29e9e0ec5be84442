// Reading a remote SMTP server's replies (RFC 5321 4.2) as they arrive. The
// server is whoever the DNS points at: its bytes are bounded (line length,
// lines per reply) and only ever kept as text, never interpreted beyond the
// reply code and the EHLO keywords.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace clearbounce::diagnose {

struct SmtpReply {
  int code = 0;                    // 220, 250, 554, ...
  std::vector<std::string> lines;  // the text of each line, after "250-" / "250 "

  bool positive() const { return code >= 200 && code < 400; }
  // Whether an EHLO reply lists `keyword` (STARTTLS, SIZE, ...): the first
  // word of a line after the first, compared without case.
  bool offers(std::string_view keyword) const;
};

class SmtpReplyReader {
 public:
  static constexpr std::size_t kMaxLineBytes = 1000;  // RFC 5321's 512, with room for lenient servers
  static constexpr std::size_t kMaxLines = 100;

  enum class Status { need_more, complete, malformed };

  // Takes the next bytes from the server. `complete`: a whole reply is
  // there, take() gives it (bytes after it stay for the next reply).
  // `malformed`: not SMTP, or past the limits; the reader stays malformed.
  // feed({}) reads a reply that arrived with the previous one.
  Status feed(std::string_view bytes);
  SmtpReply take();

 private:
  Status read_lines();

  std::string buffer_;
  std::size_t read_ = 0;  // bytes of buffer_ already read into partial_
  SmtpReply partial_;
  bool complete_ = false;
  bool malformed_ = false;
};

}  // namespace clearbounce::diagnose
