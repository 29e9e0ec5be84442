#include "templates/render.hpp"

#include <algorithm>
#include <cstdio>

#include "dsn/encoding.hpp"
#include "templates/dates.hpp"

namespace clearbounce::templates {

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

namespace {

// Remote text is data: valid UTF-8, no control characters but line breaks
// and tabs, and a bounded length (the original report stays attached).
constexpr std::size_t kMaxQuotedBytes = 4000;

std::string clean_remote_text(std::string_view text) {
  std::string valid = dsn::sanitize_utf8(text);
  std::string out;
  out.reserve(std::min(valid.size(), kMaxQuotedBytes));
  for (std::size_t i = 0; i < valid.size() && out.size() < kMaxQuotedBytes; ++i) {
    const auto c = static_cast<unsigned char>(valid[i]);
    if (c == '\r') continue;
    if (c < 0x20 && c != '\n' && c != '\t') {
      out.push_back(' ');
      continue;
    }
    if (c == 0x7f) continue;
    out.push_back(static_cast<char>(c));
  }
  if (out.size() < valid.size()) {
    // Do not cut inside a UTF-8 sequence.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    out += " …";
  }
  return out;
}

// Facts are single-line values: no line breaks, no control characters.
std::string clean_value(std::string_view text) {
  std::string out = clean_remote_text(text);
  for (auto& c : out)
    if (c == '\n' || c == '\t') c = ' ';
  return out;
}

// "10485760" (bytes, as some servers write it) -> "10 MB"; anything else as written.
std::string readable_size(const std::string& value) {
  if (value.empty() || value.size() > 15 || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return value;
  const double bytes = std::stod(value);
  const char* units[] = {"bytes", "KB", "MB", "GB"};
  double amount = bytes;
  int unit = 0;
  while (amount >= 1024 && unit < 3) {
    amount /= 1024;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, unit == 0 || amount >= 10 ? "%.0f %s" : "%.1f %s", amount, units[unit]);
  return buffer;
}

int action_rank(std::string_view action) {
  if (action == "failed" || action.empty()) return 0;
  if (action == "delayed") return 1;
  return 2;
}

std::string_view action_key(std::string_view action) {
  if (action == "delayed" || action == "delivered" || action == "relayed" || action == "expanded") return action;
  return "failed";
}

class Writer {
 public:
  Writer(const RenderInput& input, std::string_view locale, const CatalogueSet& catalogues)
      : input_(input), locale_(locale), catalogues_(catalogues) {}

  Rendered run();

 private:
  const std::vector<Template>* entry(std::string_view key) const { return catalogues_.find(locale_, key); }

  std::string text(std::string_view key, const Values& values) const {
    const auto* templates = entry(key);
    return templates && !templates->empty() ? templates->front().render(values) : std::string();
  }
  std::string html(std::string_view key, const Values& values) const {
    const auto* templates = entry(key);
    return templates && !templates->empty() ? templates->front().render(values, escape_html) : std::string();
  }

  Values values_for(const dsn::RecipientReport& r, const classifier::Classification& c) const;
  void section(const dsn::RecipientReport& r, const classifier::Classification& c);
  void technical(const dsn::RecipientReport& r);
  void paragraph(std::string_view key, const Values& values);

  const RenderInput& input_;
  std::string locale_;
  const CatalogueSet& catalogues_;
  std::string text_;
  std::string html_;
};

Values Writer::values_for(const dsn::RecipientReport& r, const classifier::Classification& c) const {
  Values v;
  v["recipient"] = clean_value(r.recipient);
  const auto at = r.recipient.rfind('@');
  v["recipient_domain"] = at == std::string::npos ? std::string() : clean_value(r.recipient.substr(at + 1));
  v["subject"] = clean_value(input_.original_subject);
  for (const char* fact : {"remote_host", "remote_ip", "blocklist", "size_limit", "reporting_mta"}) {
    if (const auto it = c.facts.find(fact); it != c.facts.end()) v[fact] = clean_value(it->second);
  }
  if (auto it = v.find("size_limit"); it != v.end()) it->second = readable_size(it->second);
  if (const auto it = c.facts.find("retry_until"); it != c.facts.end()) {
    const auto* names = catalogues_.dates(locale_);
    const auto date = parse_rfc5322_date(it->second);
    v["retry_until"] = date && names ? format_date(*date, *names) : clean_value(it->second);
  }
  if (const auto it = c.facts.find("last_error_category"); it != c.facts.end())
    v["last_error"] = text("category." + it->second + ".label", {});
  v["organization"] = clean_value(input_.organization);
  v["support"] = clean_value(input_.support);
  v["count"] = std::to_string(input_.report->recipients.size());
  return v;
}

void Writer::paragraph(std::string_view key, const Values& values) {
  const auto plain = text(key, values);
  if (plain.empty()) return;
  text_ += plain + "\n\n";
  html_ += "<p>" + html(key, values) + "</p>\n";
}

void Writer::section(const dsn::RecipientReport& r, const classifier::Classification& c) {
  const Values values = values_for(r, c);
  const std::string action(action_key(r.action));
  html_ += "<div>\n";
  const auto lead_plain = text("action." + action + ".lead", values);
  text_ += lead_plain + "\n\n";
  html_ += "<p><strong>" + html("action." + action + ".lead", values) + "</strong></p>\n";
  if (c.category && action_rank(action) < 2) {
    const std::string base = "category." + c.category->id + ".";
    paragraph(base + "what", values);
    paragraph(base + "why", values);
    if (!r.diagnostic.empty()) {
      // X-Postfix / X-Unix texts are our own mail system's words, unless
      // they quote what a remote host said.
      const bool ours = (r.diagnostic_type == "x-postfix" || r.diagnostic_type == "x-unix") &&
                        r.diagnostic.find("said:") == std::string::npos;
      paragraph(ours ? "text.system_said" : input_.remote_report ? "text.remote_claimed" : "text.remote_said",
                values);
      const auto quoted = clean_remote_text(r.diagnostic);
      std::string indented = "    ";
      for (char ch : quoted) {
        indented.push_back(ch);
        if (ch == '\n') indented += "    ";
      }
      text_ += indented + "\n\n";
      html_ += "<blockquote><pre style=\"white-space:pre-wrap;word-break:break-all\">" + escape_html(quoted) +
               "</pre></blockquote>\n";
    }
    // Who can fix a given-up delivery depends on what kept failing.
    const classifier::Category* who_of = c.category;
    if (const auto it = c.facts.find("last_error_category"); it != c.facts.end() && input_.classifier)
      if (const auto* last = input_.classifier->find_category(it->second)) who_of = last;
    paragraph("who." + std::string(classifier::to_string(who_of->who_can_fix)), values);
    const auto* steps = entry(base + "fix");
    if (action == "failed" && steps && !steps->empty()) {
      paragraph("text.steps", values);
      html_ += "<ol>\n";
      int n = 0;
      for (const auto& step : *steps) {
        text_ += "  " + std::to_string(++n) + ". " + step.render(values) + "\n";
        html_ += "<li>" + step.render(values, escape_html) + "</li>\n";
      }
      html_ += "</ol>\n";
      text_ += "\n";
    }
    const auto forward = text(base + "forward", values);
    if (!forward.empty()) {
      paragraph("text.forward", values);
      text_ += "    " + forward + "\n\n";
      html_ += "<blockquote>" + html(base + "forward", values) + "</blockquote>\n";
    }
    const bool deadline_known = values.count("retry_until") != 0;
    paragraph("action." + action + (action == "delayed" && !deadline_known ? ".retry_unknown" : ".retry"), values);
  }
  html_ += "</div>\n<hr>\n";
}

void Writer::technical(const dsn::RecipientReport& r) {
  const Values none;
  const auto row = [&](std::string_view label_key, std::string_view value) {
    if (value.empty()) return;
    const auto cleaned = clean_remote_text(value);
    text_ += "  " + text(label_key, none) + text("text.technical_separator", none) + cleaned + "\n";
    html_ += "<tr><th style=\"text-align:left;vertical-align:top\">" + html(label_key, none) +
             "</th><td><code style=\"white-space:pre-wrap;word-break:break-all\">" + escape_html(cleaned) +
             "</code></td></tr>\n";
  };
  text_ += clean_value(r.recipient) + "\n";
  html_ += "<table>\n<tr><th colspan=\"2\" style=\"text-align:left\">" + escape_html(clean_value(r.recipient)) +
           "</th></tr>\n";
  std::string status = r.status;
  if (!r.action.empty()) status += status.empty() ? r.action : " (" + r.action + ")";
  row("text.technical_status", status);
  row("text.technical_answer", r.diagnostic);
  std::string server = r.remote_mta;
  if (!r.remote_ip.empty() && server.find(r.remote_ip) == std::string::npos)
    server += server.empty() ? r.remote_ip : " [" + r.remote_ip + "]";
  row("text.technical_server", server);
  row("text.technical_reported_by", input_.report->reporting_mta);
  row("text.technical_arrival", input_.report->arrival_date);
  text_ += "\n";
  html_ += "</table>\n";
}

Rendered Writer::run() {
  const auto& recipients = input_.report->recipients;
  const auto& results = *input_.classifications;
  std::vector<std::size_t> order(recipients.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // Most severe first: failures, then delays, then successes; within each,
  // by the category's severity; the report's order breaks ties.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const int ra = action_rank(recipients[a].action), rb = action_rank(recipients[b].action);
    if (ra != rb) return ra < rb;
    const int sa = results[a].category ? results[a].category->severity : -1;
    const int sb = results[b].category ? results[b].category->severity : -1;
    return sa > sb;
  });

  Rendered out;
  Values frame;
  frame["subject"] = clean_value(input_.original_subject);
  frame["organization"] = clean_value(input_.organization);
  frame["support"] = clean_value(input_.support);
  frame["count"] = std::to_string(recipients.size());

  int best_rank = 2;
  for (const auto& r : recipients) best_rank = std::min(best_rank, action_rank(r.action));
  static constexpr const char* kSubjectKeys[] = {"subject.failed", "subject.delayed", "subject.delivered"};
  out.subject = text(kSubjectKeys[best_rank], frame);

  html_ = "<!DOCTYPE html>\n<html lang=\"" + escape_html(locale_) + "\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
          escape_html(out.subject) + "</title>\n</head>\n<body style=\"font-family:sans-serif;line-height:1.45\">\n";
  paragraph("text.greeting", frame);
  // A report from the internet is the other system's claim, not our finding.
  if (input_.remote_report) paragraph("text.remote_notice", frame);
  if (recipients.size() > 1) paragraph("text.intro", frame);
  for (const auto i : order) {
    section(recipients[i], results[i]);
    if (results[i].category &&
        std::find(out.categories.begin(), out.categories.end(), results[i].category->id) == out.categories.end())
      out.categories.push_back(results[i].category->id);
  }
  paragraph("text.closing", frame);
  paragraph("text.signature", frame);

  const auto heading = text("text.technical", frame);
  // Not "-- ": mail programs would hide what follows as a signature.
  const auto characters = static_cast<std::size_t>(std::count_if(
      heading.begin(), heading.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
  text_ += heading + "\n" + std::string(std::min<std::size_t>(characters, 60), '-') + "\n\n";
  html_ += "<h2 style=\"font-size:1em\">" + html("text.technical", frame) + "</h2>\n";
  for (const auto i : order) technical(recipients[i]);
  paragraph("text.original_attached", frame);
  html_ += "</body>\n</html>\n";

  while (text_.size() >= 2 && text_.compare(text_.size() - 2, 2, "\n\n") == 0) text_.pop_back();
  out.text = std::move(text_);
  out.html = std::move(html_);
  return out;
}

}  // namespace

Rendered render(const RenderInput& input, std::string_view locale, const CatalogueSet& catalogues) {
  return Writer(input, locale, catalogues).run();
}

}  // namespace clearbounce::templates
