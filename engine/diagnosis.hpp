// The diagnosis service (diagnose/) as the configuration describes it, and
// the question function a report's Options::diagnose takes: the glue shared
// by the milter and the CLI.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "diagnose/diagnoser.hpp"

namespace clearbounce::engine {

// Starts the service with the [diagnose] settings. `mta_name`: what the
// MTA calls itself, the EHLO name when diagnose.helo_name is empty (then
// this host's name). Null, with `error`, when it cannot start.
std::unique_ptr<diagnose::Diagnoser> start_diagnosis(const config::Config& config, std::string_view mta_name,
                                                     std::string& error);

// Options::diagnose for one report: each question waits until `deadline`
// at most.
std::function<diagnose::Finding(const diagnose::Question&)> ask(diagnose::Diagnoser& diagnoser,
                                                                 std::chrono::steady_clock::time_point deadline);

}  // namespace clearbounce::engine
