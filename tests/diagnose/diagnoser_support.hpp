// Starting the diagnosis service in a test: a start that fails is the
// test's failure, with the reason.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "diagnose/diagnoser.hpp"

namespace clearbounce::testing {

inline std::unique_ptr<diagnose::Diagnoser> start_diagnoser(const diagnose::DiagnoseSettings& settings) {
  std::string error;
  auto diagnoser = diagnose::Diagnoser::start(settings, error);
  EXPECT_NE(diagnoser, nullptr) << error;
  return diagnoser;
}

}  // namespace clearbounce::testing
