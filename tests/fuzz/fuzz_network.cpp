// libFuzzer target for the two readers of bytes that remote servers send to
// a diagnosis probe: SMTP replies (greeting, EHLO, STARTTLS) and DNS
// answers. The input's first byte chooses the reader (modulo 6; the seeds
// use the digits):
//   '0'        the rest is what an SMTP server sends, fed to one
//              SmtpReplyReader in pieces cut at each '\x01'
//   '1'..'5'   the rest is a DNS answer read for MX, A, AAAA, TXT, TLSA
// Built and run by run_fuzz.sh; the main build only compiles it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "diagnose/dns.hpp"
#include "diagnose/smtp_reply.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using clearbounce::fuzz::as_text;
using clearbounce::fuzz::require;
namespace diagnose = clearbounce::diagnose;

void read_replies(std::string_view bytes) {
  diagnose::SmtpReplyReader reader;
  std::size_t start = 0;
  while (start <= bytes.size()) {
    const auto cut = bytes.find('\x01', start);
    const auto piece = bytes.substr(start, cut == std::string_view::npos ? std::string_view::npos : cut - start);
    auto status = reader.feed(piece);
    while (status == diagnose::SmtpReplyReader::Status::complete) {
      const auto reply = reader.take();
      require(reply.code >= 100 && reply.code <= 599 && !reply.lines.empty());
      require(reply.lines.size() <= diagnose::SmtpReplyReader::kMaxLines);
      (void)reply.offers("STARTTLS");
      status = reader.feed({});
    }
    if (cut == std::string_view::npos) break;
    start = cut + 1;
  }
}

void read_answer(int selector, const std::uint8_t* data, std::size_t size) {
  constexpr diagnose::RecordType kTypes[] = {diagnose::RecordType::mx, diagnose::RecordType::a,
                                             diagnose::RecordType::aaaa, diagnose::RecordType::txt,
                                             diagnose::RecordType::tlsa};
  if (size > 65535) return;  // a DNS message's largest size
  const auto answer = diagnose::parse_answer(kTypes[selector - 1], data, static_cast<int>(size));
  require(answer.mx.size() <= diagnose::kMaxRecords && answer.tlsa.size() <= diagnose::kMaxRecords &&
          answer.texts.size() <= diagnose::kMaxRecords && answer.addresses.size() <= diagnose::kMaxRecords);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int selector = data[0] % 6;
  if (selector == 0) {
    read_replies(as_text(data + 1, size - 1));
  } else {
    read_answer(selector, data + 1, size - 1);
  }
  return 0;
}
