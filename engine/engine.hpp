// The core pipeline, a pure function of (message bytes, configuration):
// parse -> classify -> choose the locale -> render -> rebuild. Used alike by
// the milter, the CLI, the tests and the benchmarks; knows nothing of
// libmilter.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "classifier/classifier.hpp"
#include "config/config.hpp"
#include "diagnose/diagnoser.hpp"
#include "dsn/layout.hpp"
#include "dsn/rewrite.hpp"
#include "engine/marker.hpp"
#include "templates/catalogue.hpp"
#include "templates/render.hpp"

namespace clearbounce::templates {
struct Rendered;
}

namespace clearbounce::engine {

class Budget;

struct Options {
  std::string locale;          // forced locale (CLI --locale); empty: negotiate
  bool remote_report = false;  // the report arrived from the internet: quote its claims as such
  // What the MTA calls itself (Postfix's {j}): with backscatter.hostnames
  // and .domains, the names that show a returned message passed through
  // this system. None known: the report never says the sender was forged.
  std::vector<std::string> local_hostnames;
  // When the caller stops waiting (the milter: the MTA's timeout). The
  // engine also stops after config.time_limit_ms of CPU time; whichever comes first
  // ends the run and the message passes unchanged.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // A look of our own at a failed recipient whose cause the report leaves
  // open (a category with `diagnose` in the rule set): the milter sets it
  // for reports its own MTA wrote, the CLI with --diagnose, never for a
  // report from the internet. Empty: no diagnosis. A report's questions are
  // asked together, answered in their order. What it learns replaces the
  // category only within the same kind of failure (refines() in engine.cpp).
  std::function<std::vector<diagnose::Finding>(const std::vector<diagnose::Question>&)> diagnose;
};

struct Outcome {
  bool rewritten = false;
  std::string reason;                   // why the message stays as it is (empty when rewritten)
  dsn::Rewritten result;                // the new headers and body (when rewritten)
  std::string locale;                   // the locale written in
  std::vector<std::string> categories;  // the categories named, most severe first
  // 1-based position, among the message's X-Clearbounce fields, of one whose
  // MAC verifies (the message was rewritten before); 0: none does.
  std::size_t verified_marker = 0;
  // A remote report about a message that never passed through this system:
  // the notice says so, and the marker carries forged=yes.
  bool forged_sender = false;
};

class Engine {
 public:
  // Builds everything the configuration names (rule set, catalogues with the
  // administrator's overrides), checked once. Null with `errors` filled when
  // anything is wrong.
  static std::unique_ptr<Engine> load(const config::Config& config, std::vector<std::string>& errors);

  // Never throws: any failure is an Outcome that leaves the message unchanged,
  // with the reason in one sentence. This is the core's one fail-open point:
  // the layers below report what they expect (not a bounce, cannot rewrite)
  // as values with a reason, and let the unexpected (allocation failure, a
  // bug) propagate here as exceptions.
  Outcome process(std::string_view message, const Options& options = {}) const;

  const config::Config& config() const { return config_; }
  const classifier::Classifier& classifier() const { return *classifier_; }
  const templates::CatalogueSet& catalogues() const { return *catalogues_; }

 private:
  Engine(config::Config config, std::unique_ptr<classifier::Classifier> classifier,
         std::unique_ptr<templates::CatalogueSet> catalogues);
  bool load_blocklists(std::vector<std::string>& errors);
  Outcome process_or_throw(std::string_view message, const Options& options) const;
  bool classify_all(const dsn::BounceReport& report, const Budget& budget,
                    std::vector<classifier::Classification>& results) const;
  void apply_finding(const diagnose::Finding& finding, classifier::Classification& result) const;
  void diagnose_open_causes(const dsn::BounceReport& report, const Options& options,
                            std::vector<classifier::Classification>& results) const;
  templates::Rendered render_notice(const dsn::ReportLayout& layout, const dsn::BounceReport& report,
                                    const std::vector<classifier::Classification>& results, const Options& options,
                                    Outcome& out) const;
  std::string locale_for(std::string_view sender_domain, const dsn::MimePart* returned_headers,
                         const Options& options) const;

  const marker::Key& marker_key() const { return key_ ? *key_ : marker::Key::process_key(); }
  bool sent_elsewhere(const dsn::MimePart* returned_headers, const Options& options) const;

  config::Config config_;
  std::optional<marker::Key> key_;  // marker.key_file; empty: the process's own random key
  std::unique_ptr<classifier::Classifier> classifier_;
  std::unique_ptr<templates::CatalogueSet> catalogues_;
  // The configured block lists' names and removal pages, the only ones a
  // notice names (diagnose.check_blocklists, blocklist_zones, blocklists_file).
  std::vector<templates::NamedBlocklist> blocklists_;
};

}  // namespace clearbounce::engine
