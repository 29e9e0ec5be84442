// Names the real cause of each reported recipient's failure. The rule set
// (wording patterns, status codes, category table) is data, loaded and
// validated once; classification is then a pure, thread-safe function.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsn/report.hpp"

namespace clearbounce::classifier {

// Who can make the failure go away (see the taxonomy).
enum class WhoCanFix { sender, sender_admin, recipient, recipient_admin, nobody };
std::string_view to_string(WhoCanFix who);

// One row of the taxonomy table, from the rule file.
struct Category {
  std::string id;            // "recipient.unknown"
  std::string reason;        // default sisimai-compatible reason
  WhoCanFix who_can_fix = WhoCanFix::sender_admin;
  // The fault may also lie between the servers (a network, a name server
  // on the way): who_can_fix is who most likely can, and the notice says
  // so ("fix_likely." headings) rather than claim it. `who_is_likely = true`.
  bool who_is_likely = false;
  bool temporary = false;    // default wording when the DSN does not say
  int severity = 0;          // higher first when several recipients are shown
  // A failure of this kind that the DSN reports as final (Action: failed with
  // a 4.x.x status) means the retry period ran out: delivery.expired.
  bool expires_when_final = false;
  // The receiving server never answered (no connection, no greeting): a
  // status code that names this category is not believed where the
  // recipient's diagnostic holds a server's own reply ("541 5.4.1 Mail
  // rejected by destination domain": the host did answer).
  bool without_reply = false;
  // The category this failure becomes when reported with a 4.x.x status
  // (a "not found" that the server itself calls temporary), if any.
  std::optional<std::size_t> when_temporary;
  // Whether the report leaves the cause open, and what a diagnosis of our
  // own may look at (diagnose/): the recipient's domain in the DNS, or also
  // its mail server; or, for a block list's refusal, which of the block
  // lists hold our own sending address. `diagnose = "domain" | "server" |
  // "blocklists"` in the rule file.
  enum class OpenCause { none, domain, server, blocklists };
  OpenCause open_cause = OpenCause::none;
};

struct Classification {
  const Category* category = nullptr;  // null for non-failures (delivered, feedback, auto-reply)
  std::string reason;                  // sisimai-compatible reason for this recipient
  bool temporary = false;              // this recipient: still being retried?
  // What decided: "wording <file>:<line>", "status 5.1.1", "reply 550",
  // "stage MAIL", ... so that administrators can see why.
  std::string decided_by;
  // Facts the texts can use: remote_host, remote_ip, blocklist, size_limit,
  // retry_until, reporting_mta, cert_hint, ... Only keys that were found.
  std::map<std::string, std::string> facts;
};

class RuleSet;

class Classifier {
 public:
  // Loads a rule file (TOML). On error returns null and sets `error` to
  // "file:line: what is wrong".
  static std::unique_ptr<Classifier> load_file(const std::string& path, std::string& error);
  static std::unique_ptr<Classifier> load_text(std::string_view toml, std::string_view source_name,
                                               std::string& error);
  // The rule set compiled into the program (same content as the shipped file).
  static std::unique_ptr<Classifier> builtin(std::string& error);

  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  Classification classify(const dsn::RecipientReport& recipient, const dsn::BounceReport& report) const;
  const std::vector<Category>& categories() const;
  const Category* find_category(std::string_view id) const;
  // Wording and fact patterns without a literal of three bytes: run on every
  // text, they cost every message something (classifier/README.md, "Speed").
  std::vector<std::string> patterns_tried_on_every_text() const;

 private:
  explicit Classifier(std::unique_ptr<RuleSet> rules);
  std::unique_ptr<RuleSet> rules_;
};

}  // namespace clearbounce::classifier
