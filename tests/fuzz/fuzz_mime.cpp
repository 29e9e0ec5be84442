// libFuzzer target for the whole message parser: MIME structure, content
// decoders and the bounce analysis on top of them. Built and run by
// run_fuzz.sh with clang++ -fsanitize=fuzzer,address,undefined; the main g++
// build only compiles it so that it keeps up with the API.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string_view>
#include <vector>

#include "dsn/encoding.hpp"
#include "dsn/mime.hpp"
#include "dsn/report.hpp"

namespace {

using clearbounce::dsn::MimePart;

// A broken invariant is a bug even when no sanitizer notices it.
void require(bool condition) {
  if (!condition) std::abort();
}

bool is_within(std::string_view outer, std::string_view inner) {
  return std::less_equal<const char*>()(outer.data(), inner.data()) &&
         std::less_equal<const char*>()(inner.data() + inner.size(), outer.data() + outer.size());
}

void check_part(const MimePart& part, std::string_view input) {
  require(is_within(input, part.raw));
  require(part.header_block.data() == part.raw.data());
  require(part.body.data() + part.body.size() == part.raw.data() + part.raw.size());
  require(part.header_block.size() + part.body.size() <= part.raw.size());
  for (const auto& field : part.headers) {
    require(is_within(part.header_block, field.name));
    require(is_within(part.header_block, field.raw_value));
  }
  for (const MimePart& child : part.children) require(is_within(part.body, child.raw));
  (void)part.decoded_body();
  (void)part.header_text("Subject");
  (void)part.content_type.param("boundary");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (const auto message = clearbounce::dsn::parse_mime(input)) {
    const clearbounce::dsn::MimeLimits limits;
    require(message->root.raw.size() == input.size());
    // Walk the tree without recursion; the depth is bounded, but the walk
    // should not rely on that.
    std::vector<std::pair<const MimePart*, std::size_t>> pending{{&message->root, 0}};
    std::size_t parts = 0;
    while (!pending.empty()) {
      const auto [part, depth] = pending.back();
      pending.pop_back();
      ++parts;
      require(depth <= limits.max_depth);
      require(part->headers.size() <= limits.max_header_fields);
      check_part(*part, input);
      for (const MimePart& child : part->children) pending.emplace_back(&child, depth + 1);
    }
    require(parts <= limits.max_parts);
  }

  (void)clearbounce::dsn::decode_header_text(input);
  (void)clearbounce::dsn::parse_header_params(input);
  (void)clearbounce::dsn::decode_quoted_printable(input);
  (void)clearbounce::dsn::decode_base64(input);
  (void)clearbounce::dsn::unfold(input);
  const std::string sanitized = clearbounce::dsn::sanitize_utf8(input);
  require(clearbounce::dsn::sanitize_utf8(sanitized) == sanitized);

  // The first line names a charset, the rest is converted from it: this
  // reaches iconv with every charset the fuzzer can spell.
  const std::size_t newline = input.find('\n');
  if (newline != std::string_view::npos && newline < 64) {
    const std::string converted = clearbounce::dsn::to_utf8(input.substr(newline + 1), input.substr(0, newline));
    require(clearbounce::dsn::sanitize_utf8(converted) == converted);
  }

  (void)clearbounce::dsn::analyse(input);
  return 0;
}
