// How the cost of one message grows with its size, for each hostile shape
// of issue 9 (D1-D6). Each benchmark generates messages of growing size and
// lets Google Benchmark fit a big-O to the times (Complexity()); N is the
// size of the message in bytes, so "N" means linear in the input and "N^2"
// quadratic. The whole engine (parse, classify, choose the locale, render,
// rewrite) runs on each shape as a remote report; analyse() alone where the
// shape's cost lies in reading the bounce. Run it as bench/README.md says.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dsn/report.hpp"
#include "engine/engine.hpp"

namespace {

using clearbounce::engine::Engine;

const Engine& engine() {
  static const std::unique_ptr<Engine> loaded = [] {
    clearbounce::config::Config config;
    // Measured is the work itself, not the time limit that cuts it short.
    config.time_limit_ms = 600000;
    std::vector<std::string> errors;
    auto built = Engine::load(config, errors);
    if (!built) {
      for (const auto& error : errors) std::fprintf(stderr, "%s\n", error.c_str());
      std::abort();
    }
    return built;
  }();
  return *loaded;
}

// A multipart/report: the human-readable part, the delivery-status part
// (per-message fields, then `recipient_fields`), and the returned headers
// when `returned_headers` is not empty.
std::string report_message(std::string_view text, std::string_view recipient_fields,
                           std::string_view returned_headers = {}) {
  std::string m =
      "From: Mail Delivery System <MAILER-DAEMON@mx.e.net>\n"
      "To: sender@example.org\n"
      "Subject: Undelivered Mail Returned to Sender\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b-7Qx\"\n"
      "\n--b-7Qx\nContent-Type: text/plain; charset=us-ascii\n\n";
  m += text;
  m += "\n--b-7Qx\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.e.net\n\n";
  m += recipient_fields;
  if (!returned_headers.empty()) {
    m += "\n--b-7Qx\nContent-Type: text/rfc822-headers\n\n";
    m += returned_headers;
  }
  m += "\n--b-7Qx--\n";
  return m;
}

// Joins pieces of text (operator+ on temporaries trips GCC 12's -Wrestrict
// false positive in Release builds).
template <typename... Pieces>
std::string concat(const Pieces&... pieces) {
  std::string out;
  (out.append(std::string_view(pieces)), ...);
  return out;
}

std::string recipient(std::size_t i) { return concat("u", std::to_string(i), "@e.net"); }

// Fields of one recipient that say too little for the classifier, so that
// the reader looks for its explanation in the text.
std::string terse_fields(std::size_t i) {
  return concat("Final-Recipient: rfc822; ", recipient(i), "\nAction: failed\nStatus: 5.0.0\n\n");
}

// D1: n recipients listed as "<uN@e.net>: unknown", a blank line and n
// lines of explanation shared by all; the delivery-status part names nobody.
std::string d1_shared_explanation(std::size_t n) {
  std::string text = "This is the mail system at host mx.e.net.\n\n";
  for (std::size_t i = 0; i < n; ++i) text += concat("<", recipient(i), ">: unknown\n");
  text += "\n";
  for (std::size_t i = 0; i < n; ++i)
    text += concat("The remote server refused the recipients above; explanation line ", std::to_string(i), ".\n");
  return report_message(text, "");
}

// D2: one line of n '@' between letters, in the text of a report whose
// delivery-status part names nobody (so that the text is searched for
// recipients, and the engine still has a report to rewrite).
std::string d2_many_at_signs(std::size_t n) {
  std::string text = concat("This is the mail system at host mx.e.net.\n\n<", recipient(0), ">: mailbox unavailable\n");
  for (std::size_t i = 0; i < n; ++i) text += "x@";
  text += "\n";
  return report_message(text, "");
}

// D3: 50 recipients whose fields say too little, and n lines of text.
std::string d3_many_text_lines(std::size_t n) {
  constexpr std::size_t kRecipients = 50;
  std::string text = "This is the mail system at host mx.e.net.\n\n";
  std::string fields;
  for (std::size_t i = 0; i < kRecipients; ++i) {
    text += concat("<", recipient(i), ">: host mx.e.net said: 550 no such user\n");
    fields += terse_fields(i);
  }
  for (std::size_t i = 0; i < n; ++i) text += concat("Please check the address and try again, line ", std::to_string(i), ".\n");
  return report_message(text, fields);
}

// D4: Content-Language with n subtags before the one that matches, in the
// returned headers of a one-recipient report.
std::string d4_long_language_tag(std::size_t n) {
  std::string headers = "Subject: Meeting\nContent-Language: ";
  for (std::size_t i = 0; i < n; ++i) headers += "xx-";
  headers += "de\n";
  return report_message("Delivery failed.\n",
                        concat("Final-Recipient: rfc822; ", recipient(0),
                               "\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n"),
                        headers);
}

// D5: one line of text naming n recipients (about 200 bytes each), and the
// same recipients in the delivery-status part with terse fields.
std::string d5_long_line(std::size_t n) {
  std::string line;
  std::string fields;
  for (std::size_t i = 0; i < n; ++i) {
    line += concat("<", recipient(i),
                   "> could not be reached: the remote server said that this mailbox is not "
                   "available at the moment and that delivery should be retried later, or not at all. ");
    fields += terse_fields(i);
  }
  return report_message(concat("This is the mail system at host mx.e.net.\n\n", line, "\n"), fields);
}

// D6: n recipients, each with a 4 KB Diagnostic-Code (folded as MTAs fold).
std::string d6_long_diagnostics(std::size_t n) {
  std::string diagnostic = "smtp; 550 5.7.1 Message rejected";
  while (diagnostic.size() < 4096) diagnostic += "\n    because the content of this message matched a local policy rule";
  std::string fields;
  for (std::size_t i = 0; i < n; ++i)
    fields += concat("Final-Recipient: rfc822; ", recipient(i), "\nAction: failed\nStatus: 5.7.1\nDiagnostic-Code: ",
                     diagnostic, "\n\n");
  return report_message("Delivery failed.\n", fields);
}

// D7: n recipients, each with a 4 KB Diagnostic-Code that strings together
// the wordings of many causes, so that the wording filter finds the words
// of a great many patterns in every diagnostic.
std::string d7_every_cause(std::size_t n) {
  static constexpr const char* kWordings[] = {
      "user unknown", "no such user", "mailbox full", "quota exceeded", "mailbox unavailable",
      "relay access denied", "relaying denied", "connection refused", "connection timed out",
      "host not found", "domain not found", "message expired", "too many recipients",
      "message too large", "spam detected", "blocked using zen.example.net", "rate limited",
      "too many connections", "sender rejected", "sender address rejected", "account disabled",
      "account suspended", "virus found", "content rejected", "policy violation",
      "tls handshake failed", "certificate expired", "starttls not offered", "dkim failed",
      "spf failed", "dmarc policy", "greylisted", "try again later", "service unavailable",
      "mail loop detected", "too many hops", "address rejected", "recipient rejected",
      "invalid recipient", "does not exist", "not accepting mail", "null mx",
      "name service error", "helo rejected", "reverse dns", "ip reputation", "blacklisted",
      "attachment not allowed", "disk space limit", "over quota", "temporary failure",
  };
  std::string diagnostic = "smtp; 550 5.0.0";
  for (std::size_t i = 0; diagnostic.size() < 4096; ++i)
    diagnostic += concat("\n    ", kWordings[i % std::size(kWordings)], ";");
  std::string fields;
  for (std::size_t i = 0; i < n; ++i)
    fields += concat("Final-Recipient: rfc822; ", recipient(i), "\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: ",
                     diagnostic, "\n\n");
  return report_message("Delivery failed.\n", fields);
}

using Shape = std::string (*)(std::size_t);

// The whole engine on a remote report of the shape. Counters: the size of
// the message, whether it was rewritten, and the output's size as a
// multiple of the input's (D6: the output must stay bounded).
void whole_engine(benchmark::State& state, Shape shape) {
  const std::string message = shape(static_cast<std::size_t>(state.range(0)));
  clearbounce::engine::Options options;
  options.remote_report = true;
  clearbounce::engine::Outcome outcome;
  for (auto _ : state) {
    outcome = engine().process(message, options);
    benchmark::DoNotOptimize(outcome);
  }
  state.SetComplexityN(static_cast<std::int64_t>(message.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
  state.counters["in_KB"] = static_cast<double>(message.size()) / 1024.0;
  state.counters["rewritten"] = outcome.rewritten ? 1 : 0;
  state.counters["out_per_in"] =
      static_cast<double>(outcome.result.message.size()) / static_cast<double>(message.size());
}

// analyse() alone: reading the bounce, without classifying or rendering.
void analyse_only(benchmark::State& state, Shape shape) {
  const std::string message = shape(static_cast<std::size_t>(state.range(0)));
  std::size_t recipients = 0;
  for (auto _ : state) {
    const auto report = clearbounce::dsn::analyse(message);
    recipients = report.recipients.size();
    benchmark::DoNotOptimize(recipients);
  }
  state.SetComplexityN(static_cast<std::int64_t>(message.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
  state.counters["in_KB"] = static_cast<double>(message.size()) / 1024.0;
  state.counters["recipients"] = static_cast<double>(recipients);
}

// The ranges keep one run of the whole file near two minutes on the code
// before issue 9's fixes, where D1-D5 were quadratic (the largest sizes
// here then took 1-10 s each; issue 9's own sizes took up to minutes).
#define COMPLEXITY(fn, shape, low, high)                                                   \
  BENCHMARK_CAPTURE(fn, shape, shape)                                                      \
      ->RangeMultiplier(2)                                                                 \
      ->Range(low, high)                                                                   \
      ->Unit(benchmark::kMillisecond)                                                      \
      ->Complexity()

COMPLEXITY(analyse_only, d1_shared_explanation, 64, 1024);
COMPLEXITY(whole_engine, d1_shared_explanation, 64, 1024);
COMPLEXITY(analyse_only, d2_many_at_signs, 1024, 16384);
COMPLEXITY(whole_engine, d2_many_at_signs, 1024, 16384);
COMPLEXITY(analyse_only, d3_many_text_lines, 256, 4096);
COMPLEXITY(whole_engine, d3_many_text_lines, 256, 4096);
COMPLEXITY(whole_engine, d4_long_language_tag, 1024, 16384);
COMPLEXITY(analyse_only, d5_long_line, 64, 1024);
COMPLEXITY(whole_engine, d5_long_line, 64, 1024);
COMPLEXITY(whole_engine, d6_long_diagnostics, 64, 2048);
COMPLEXITY(whole_engine, d7_every_cause, 64, 1024);

}  // namespace

BENCHMARK_MAIN();
