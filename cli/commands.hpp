// The subcommands of `clearbounce`. Each takes the arguments after its own
// name and returns the process exit status.
#pragma once

#include <span>
#include <string_view>

namespace clearbounce::cli {

// Exit statuses shared by all commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // configuration or output error
inline constexpr int kExitUsage = 2;

int run_classify(std::span<const std::string_view> args);
int run_rewrite(std::span<const std::string_view> args);
int run_preview(std::span<const std::string_view> args);
int run_lint(std::span<const std::string_view> args);

}  // namespace clearbounce::cli
