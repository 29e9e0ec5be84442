// libFuzzer target for the analysis of whole messages, aimed at the bounces
// written as free text (qmail, Exim, Postfix, Exchange, ...): recipient
// lines, shared explanations, the text around each address. The first byte
// frames the rest (fuzz_support.hpp). Built and run by run_fuzz.sh; the main
// build only compiles it so that it keeps up with the API.
#include <cstddef>
#include <cstdint>

#include "dsn/report.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using clearbounce::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto frame = clearbounce::fuzz::frame_of(data[0]);
  const std::string message = clearbounce::fuzz::framed_message(frame, clearbounce::fuzz::as_text(data + 1, size - 1));

  const clearbounce::dsn::AnalyseLimits limits;
  const auto report = clearbounce::dsn::analyse(message, limits);
  require(report.recipients.size() <= limits.max_recipients);
  if (report.kind == clearbounce::dsn::ReportKind::not_bounce) require(report.recipients.empty());
  // What a bounce says of one recipient is text copied out of the bounce,
  // converted to UTF-8 (an invalid byte becomes the 3 bytes of U+FFFD, a
  // UTF-16 pair 4 bytes), with line breaks and an ellipsis or two: a few
  // times the message at most, never the same text many times over.
  const std::size_t bound = 4 * message.size() + 1024;
  for (const auto& recipient : report.recipients) {
    require(recipient.diagnostic.size() <= bound);
    require(recipient.context.size() <= bound);
  }
  return 0;
}
