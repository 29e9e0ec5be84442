#include "templates/dates.hpp"

#include <re2/re2.h>

#include <array>
#include <cstdio>

namespace clearbounce::templates {
namespace {

int month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                               "jul", "aug", "sep", "oct", "nov", "dec"};
  if (name.size() < 3) return 0;
  std::string lower;
  for (char c : name.substr(0, 3)) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == lower) return static_cast<int>(i) + 1;
  return 0;
}

// Zone names of RFC 5322 section 4.3 (obsolete but still written).
std::optional<int> zone_offset(std::string_view zone) {
  if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) {
    for (std::size_t i = 1; i < 5; ++i)
      if (!std::isdigit(static_cast<unsigned char>(zone[i]))) return std::nullopt;
    const int hours = (zone[1] - '0') * 10 + (zone[2] - '0');
    const int minutes = (zone[3] - '0') * 10 + (zone[4] - '0');
    const int total = hours * 60 + minutes;
    return zone[0] == '-' ? -total : total;
  }
  struct Named {
    std::string_view name;
    int offset;
  };
  static constexpr Named kZones[] = {{"UT", 0},      {"UTC", 0},     {"GMT", 0},     {"EST", -300},
                                     {"EDT", -240},  {"CST", -360},  {"CDT", -300},  {"MST", -420},
                                     {"MDT", -360},  {"PST", -480},  {"PDT", -420},  {"Z", 0}};
  for (const auto& z : kZones)
    if (z.name == zone) return z.offset;
  return std::nullopt;
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
// algorithm), to find the weekday without trusting the written one.
long days_from_civil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool valid_day(int y, int m, int d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

std::string two_digits(int n) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%02d", n);
  return buffer;
}

}  // namespace

std::optional<DateTime> parse_rfc5322_date(std::string_view text) {
  static const RE2 date_re(
      R"(^\s*(?:[A-Za-z]{3},?\s+)?(\d{1,2})\s+([A-Za-z]{3})[A-Za-z]*\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,5})?)");
  int day = 0, year = 0, hour = 0, minute = 0;
  std::string month, second, zone;
  if (!RE2::PartialMatch(text, date_re, &day, &month, &year, &hour, &minute, &second, &zone)) return std::nullopt;
  DateTime dt;
  dt.day = day;
  dt.month = month_number(month);
  // RFC 5322 4.3: two-digit years below 50 are 20xx, others 19xx.
  dt.year = year < 50 ? year + 2000 : year < 1000 ? year + 1900 : year;
  dt.hour = hour;
  dt.minute = minute;
  dt.second = second.empty() ? 0 : std::stoi(second);
  if (!valid_day(dt.year, dt.month, dt.day) || dt.hour > 23 || dt.minute > 59 || dt.second > 60) return std::nullopt;
  dt.utc_offset_minutes = zone.empty() ? 0 : zone_offset(zone).value_or(0);
  // 1970-01-01 was a Thursday (3 with Monday = 0).
  dt.weekday = static_cast<int>(((days_from_civil(dt.year, dt.month, dt.day) % 7) + 7 + 3) % 7);
  return dt;
}

bool within_six_days(const DateTime& earlier, const DateTime& later) {
  const auto minutes = [](const DateTime& d) {
    return (days_from_civil(d.year, d.month, d.day) * 24 + d.hour) * 60 + d.minute - d.utc_offset_minutes;
  };
  const long difference = minutes(later) - minutes(earlier);
  return difference >= 0 && difference <= 6L * 24 * 60;
}

std::string format_date(const DateTime& date, const DateNames& names, DateForm form) {
  Values values;
  values["weekday"] = names.weekdays.size() == 7 ? names.weekdays[static_cast<std::size_t>(date.weekday)] : "";
  values["day"] = std::to_string(date.day);
  values["day2"] = two_digits(date.day);
  values["month"] = names.months.size() == 12 ? names.months[static_cast<std::size_t>(date.month - 1)] : "";
  values["month_number"] = std::to_string(date.month);
  values["year"] = std::to_string(date.year);
  values["hour"] = two_digits(date.hour);
  values["hour12"] = std::to_string(date.hour % 12 == 0 ? 12 : date.hour % 12);
  values["minute"] = two_digits(date.minute);
  values["ampm"] = date.hour < 12 ? names.am : names.pm;
  const int offset = date.utc_offset_minutes;
  std::string zone = offset < 0 ? "-" : "+";
  zone += std::to_string(std::abs(offset) / 60);
  if (std::abs(offset) % 60 != 0) {
    // Two appends rather than ":" + string: GCC 12 -O3 warns (-Wrestrict, a
    // false positive) on the inlined prepend.
    zone += ':';
    zone += two_digits(std::abs(offset) % 60);
  }
  values["utc_offset"] = offset == 0 ? "" : zone;
  // The pattern's own placeholders are not catalogue placeholders: expand
  // them by hand, so that lint's placeholder list stays the text's.
  std::string out;
  const std::string& pattern = form == DateForm::near && !names.near.empty() ? names.near : names.datetime;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      const auto close = pattern.find('}', i);
      if (close != std::string::npos) {
        const auto it = values.find(pattern.substr(i + 1, close - i - 1));
        if (it != values.end()) {
          out += it->second;
          i = close;
          continue;
        }
      }
    }
    out.push_back(pattern[i]);
  }
  return out;
}

}  // namespace clearbounce::templates
