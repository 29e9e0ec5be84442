// Dates from delivery reports (RFC 5322 date-time), written the way a
// locale writes them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "templates/catalogue.hpp"

namespace clearbounce::templates {

struct DateTime {
  int year = 0, month = 0, day = 0;     // month 1-12
  int hour = 0, minute = 0, second = 0;
  int utc_offset_minutes = 0;           // as written in the date: the sender's zone
  int weekday = 0;                      // 0 = Monday, computed from the date
};

// "Fri, 27 Nov 2026 14:00:00 +0100 (CET)" and the usual variants (no
// weekday, no seconds, obsolete zone names). nullopt when it is no date.
std::optional<DateTime> parse_rfc5322_date(std::string_view text);

// Formats with the locale's [dates] pattern: `datetime`, or `near` for a
// date the reader can place by its weekday.
enum class DateForm { full, near };
std::string format_date(const DateTime& date, const DateNames& names, DateForm form = DateForm::full);

// Whether `later` falls within the six days from `earlier` (both in
// absolute time): a weekday then names one day only, for anyone who reads
// between the two.
bool within_six_days(const DateTime& earlier, const DateTime& later);

}  // namespace clearbounce::templates
