#include "dsn/report.hpp"

namespace clearbounce::dsn {
std::string_view to_string(ReportKind kind) {
  switch (kind) {
    case ReportKind::not_bounce: return "not-bounce";
    case ReportKind::delivery_status: return "delivery-status";
    case ReportKind::plain_bounce: return "plain-bounce";
    case ReportKind::feedback_report: return "feedback-report";
    case ReportKind::auto_reply: return "auto-reply";
  }
  return "not-bounce";
}
BounceReport analyse(std::string_view, const AnalyseLimits&) {
  BounceReport r;
  r.error = "not implemented yet";
  return r;
}
}  // namespace clearbounce::dsn
