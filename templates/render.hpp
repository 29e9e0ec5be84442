// Writing the new human-readable part of a bounce: plain text and HTML, one
// section per cause (most severe first; recipients with the same outcome,
// cause and facts share one), in one locale.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "classifier/classifier.hpp"
#include "dsn/report.hpp"
#include "templates/catalogue.hpp"

namespace clearbounce::templates {

// A block list a notice may name: one of diagnose.blocklist_zones, with the
// name and removal page of our own block-list data.
struct NamedBlocklist {
  std::string name;
  std::string removal_page;
};

struct RenderInput {
  const dsn::BounceReport* report = nullptr;
  // One per report->recipients, same order.
  const std::vector<classifier::Classification>* classifications = nullptr;
  // The category table, to find a recipient's category by id (delivery.expired's last error).
  const classifier::Classifier* classifier = nullptr;
  std::string original_subject;  // subject of the returned message
  std::string organization;      // from the configuration
  std::string support;           // from the configuration
  // What follows the notice in the report, so that its last sentence says
  // truly what is attached: the returned message, only its header lines, or
  // no copy of it at all (the technical report alone).
  enum class Returned { message, headers, nothing };
  Returned returned = Returned::message;
  // The report arrived from the internet: what it says is a remote claim.
  bool remote_report = false;
  // A remote report about a message that never passed through this mail
  // system (engine/backscatter.hpp): the notice says the sender was forged.
  bool forged_sender = false;
  // Recipients explained one by one (most severe first; config
  // rewrite.detailed_recipients); the others are counted by cause. This is
  // what bounds the size of the result (see render.cpp).
  std::size_t detailed_recipients = 20;
  // The configured block lists: a diagnosis's list names and removal pages
  // are shown only when they are one of these.
  const std::vector<NamedBlocklist>* blocklists = nullptr;
  // rewrite.hide_expanded_recipients: an address an alias or forward
  // expanded the recipient to is shown nowhere, quotes included.
  bool hide_expanded_recipients = false;
};

struct Rendered {
  std::string subject;                  // new Subject, UTF-8
  std::string text;                     // text/plain, UTF-8, '\n' line ends
  std::string html;                     // text/html, UTF-8, everything outside escaped
  std::vector<std::string> categories;  // distinct category ids, in section order
};

Rendered render(const RenderInput& input, std::string_view locale, const CatalogueSet& catalogues);

// HTML escaping of untrusted text (also used by tests).
std::string escape_html(std::string_view text);
// The same, written at the end of `out` (Template::render_into's escaper).
void append_escaped_html(std::string& out, std::string_view text);

}  // namespace clearbounce::templates
