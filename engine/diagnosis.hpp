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

// The question function of Options::diagnose.
using AskFunction = std::function<std::vector<diagnose::Finding>(const std::vector<diagnose::Question>&)>;

// Options::diagnose for one report: its questions are asked together and
// waited for until `deadline` at most.
AskFunction ask(diagnose::Diagnoser& diagnoser, std::chrono::steady_clock::time_point deadline);

// Options::diagnose from a function answering one question (a stand-in in
// the tests, say): the questions in turn.
AskFunction ask_each(std::function<diagnose::Finding(const diagnose::Question&)> answer);

}  // namespace clearbounce::engine
