#include "classifier/text.hpp"

namespace clearbounce::classifier {
namespace {

bool is_local_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '%' || c == '+' || c == '-' || c == '=' || c == '\'' || c >= 0x80;
}
bool is_domain_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c >= 0x80;
}
bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

}  // namespace

std::string text_for_matching(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (is_space(c)) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
      continue;
    }
    if (c == '@') {
      // Take back the local part already copied, skip the domain.
      std::size_t local = 0;
      while (local < out.size() && is_local_char(static_cast<unsigned char>(out[out.size() - 1 - local]))) ++local;
      std::size_t end = i + 1;
      while (end < in.size() && is_domain_char(static_cast<unsigned char>(in[end]))) ++end;
      if (local > 0 && end > i + 1) {
        out.resize(out.size() - local);
        out += "<address>";
        i = end - 1;
        continue;
      }
    }
    out.push_back(static_cast<char>(c));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace clearbounce::classifier
