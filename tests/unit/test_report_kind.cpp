#include <gtest/gtest.h>

#include "dsn/report.hpp"

TEST(ReportKind, NamesAreStable) {
  EXPECT_EQ(clearbounce::dsn::to_string(clearbounce::dsn::ReportKind::delivery_status), "delivery-status");
  EXPECT_EQ(clearbounce::dsn::to_string(clearbounce::dsn::ReportKind::not_bounce), "not-bounce");
}
