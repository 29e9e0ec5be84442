#include "milter/libmilter_mta.hpp"

#include <algorithm>
#include <string>

namespace clearbounce::milter {
namespace {

// libmilter's prototypes are not const-correct: they take char* for strings
// they only read. These copies are the NUL-terminated strings they need.
std::string c_string(std::string_view text) { return std::string(text); }

}  // namespace

std::optional<std::string> LibmilterMta::macro(std::string_view name) const {
  std::string key = c_string(name);
  if (const char* value = smfi_getsymval(ctx_, key.data())) return std::string(value);
  return std::nullopt;
}

bool LibmilterMta::add_header(std::string_view name, std::string_view value) {
  std::string field = c_string(name);
  std::string text = c_string(value);
  return smfi_addheader(ctx_, field.data(), text.data()) == MI_SUCCESS;
}

bool LibmilterMta::change_header(std::string_view name, int index, std::string_view value) {
  std::string field = c_string(name);
  std::string text = c_string(value);
  return smfi_chgheader(ctx_, field.data(), index, text.data()) == MI_SUCCESS;
}

bool LibmilterMta::delete_header(std::string_view name, int index) {
  std::string field = c_string(name);
  return smfi_chgheader(ctx_, field.data(), index, nullptr) == MI_SUCCESS;  // no value: delete
}

bool LibmilterMta::replace_body(std::string_view body) {
  for (std::size_t offset = 0; offset < body.size(); offset += body_piece_bytes_) {
    const std::size_t length = std::min(body_piece_bytes_, body.size() - offset);
    // Only read, as above.
    auto* bytes = reinterpret_cast<unsigned char*>(const_cast<char*>(body.data() + offset));
    if (smfi_replacebody(ctx_, bytes, static_cast<int>(length)) != MI_SUCCESS) return false;
  }
  return true;
}

}  // namespace clearbounce::milter
