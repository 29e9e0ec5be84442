#include "milter/message.hpp"

#include <algorithm>

#include "dsn/encoding.hpp"

namespace clearbounce::milter {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

SenderPath sender_path(std::string_view argument) {
  const std::string_view sender = trim(argument);
  if (sender.empty()) return SenderPath::local_bounce;
  if (sender == "<>") return SenderPath::remote_report;
  return SenderPath::ordinary;
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

void append_header(std::string& message, std::string_view name, std::string_view value, bool leading_space) {
  message.reserve(message.size() + name.size() + value.size() + 4);
  message += name;
  message += ':';
  if (!leading_space && !value.empty()) message += ' ';
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\n' && (i == 0 || value[i - 1] != '\r')) message += '\r';
    message += c;
  }
  message += "\r\n";
}

std::string header_value_for_mta(std::string_view engine_value, bool leading_space) {
  std::string out;
  out.reserve(engine_value.size() + 1);
  if (leading_space) out += ' ';
  for (std::size_t i = 0; i < engine_value.size(); ++i) {
    if (engine_value[i] == '\r' && i + 1 < engine_value.size() && engine_value[i + 1] == '\n') continue;
    out += engine_value[i];
  }
  return out;
}

bool is_delivery_report(std::string_view content_type_value) {
  const auto parsed = dsn::parse_header_params(content_type_value);
  if (parsed.value != "multipart/report") return false;
  const std::string_view type = trim(parsed.param("report-type"));
  return same_name(type, "delivery-status") || same_name(type, "global-delivery-status");
}

}  // namespace clearbounce::milter
