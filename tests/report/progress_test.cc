// Progress display: plain lines (not a terminal) carry counts and rates, are rate-limited by
// the interval, and a disabled Progress prints nothing.
#include "report/progress.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace moemt::report {
namespace {

TEST(Progress, PlainLinesWithCountsAndRates) {
  testing::internal::CaptureStderr();
  Progress p(100, "eval", true, /*tty=*/0, /*plain_interval_s=*/0.0);
  p.update(40, 400);
  p.finish();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("eval 40/100 sentences"), std::string::npos) << err;
  EXPECT_NE(err.find("sent/s"), std::string::npos) << err;
  EXPECT_NE(err.find("tok/s"), std::string::npos) << err;
  EXPECT_NE(err.find("ETA"), std::string::npos) << err;  // progress lines estimate the rest
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 2) << err;
  EXPECT_EQ(err.find('\r'), std::string::npos) << "no carriage returns outside a terminal";
}

TEST(Progress, IntervalLimitsPlainLines) {
  testing::internal::CaptureStderr();
  Progress p(100, "eval", true, /*tty=*/0, /*plain_interval_s=*/3600.0);
  for (int i = 1; i <= 10; ++i) p.update(i * 10, i * 100);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "");  // the first line is due after one interval
}

TEST(Progress, TerminalBarRedrawsOneLine) {
  testing::internal::CaptureStderr();
  Progress p(10, "eval", true, /*tty=*/1);
  p.update(5, 50);
  p.update(6, 60);    // within 0.1 s of the last redraw: skipped
  p.update(10, 100);  // the end is always drawn
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.rfind("\r[###############...............] eval 5/10", 0), 0u) << err;
  EXPECT_EQ(err.find("eval 6/10"), std::string::npos) << err;
  EXPECT_NE(err.find("\r[##############################] eval 10/10"), std::string::npos) << err;
}

TEST(Progress, DisabledPrintsNothing) {
  testing::internal::CaptureStderr();
  Progress p(10, "eval", false, 0, 0.0);
  p.update(5, 50);
  p.finish();
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_GE(p.elapsed(), 0.0);
}

}  // namespace
}  // namespace moemt::report
