#include "engine/marker.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "dsn/ascii.hpp"
#include "dsn/word_bytes.hpp"

namespace clearbounce::engine::marker {
namespace {

constexpr std::string_view kFieldName = "X-Clearbounce";
constexpr std::size_t kMacLength = 43;  // base64 of 32 bytes, without padding
constexpr std::size_t kMinKeyBytes = 16;
constexpr std::size_t kMaxKeyBytes = 4096;
// Names the layout of the MAC's input, so that a later change of what it
// covers can never verify an old marker by accident.
constexpr std::string_view kVersion = "clearbounce-marker-1";
// 43 characters that base64url never produces ('.' is not in its
// alphabet), so the placeholder cannot be a real MAC.
const std::string kPlaceholder(kMacLength, '.');

// 1 for the bytes the MAC covers, 0 for ASCII white space and control
// characters: those refolding, line-end conversion and re-encoding may
// change.
constexpr std::array<unsigned char, 256> kCovered = [] {
  std::array<unsigned char, 256> table{};
  for (std::size_t c = 0x21; c < table.size(); ++c) table[c] = c != 0x7f ? 1 : 0;
  return table;
}();

// Whether the MAC covers all eight bytes at `p` (none is ASCII white space
// or a control character): then they are copied at once.
bool eight_covered(const char* p) noexcept {
  const std::uint64_t x = dsn::word::load(p);
  return (dsn::word::bytes_below(x, 0x21) | dsn::word::bytes_equal(x, 0x7f)) == 0;
}

// Each piece with its length in front, so that no two different lists of
// pieces give the same bytes.
void append_piece(std::string& out, std::string_view piece) {
  out += std::to_string(piece.size());
  out += ':';
  out.append(piece);
}

// append_piece() of `text` without the bytes the MAC does not cover, written
// straight into `out`: every byte is stored and the end advances only past
// covered ones, so that the text is read once, without a branch a byte
// (the notice is the bulk of what a rewrite reads after the report).
void append_canonical_piece(std::string& out, std::string_view text) {
  const std::size_t start = out.size();
  out.resize(start + text.size());
  char* const first = out.data() + start;
  char* end = first;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    if (eight_covered(text.data() + i)) {
      std::memcpy(end, text.data() + i, 8);
      end += 8;
      continue;
    }
    for (std::size_t k = i; k < i + 8; ++k) {
      *end = text[k];
      end += kCovered[static_cast<unsigned char>(text[k])];
    }
  }
  for (; i < text.size(); ++i) {
    *end = text[i];
    end += kCovered[static_cast<unsigned char>(text[i])];
  }
  const auto length = static_cast<std::size_t>(end - first);
  out.resize(start + length);
  out.insert(start, std::to_string(length) + ':');
}

const dsn::MimePart* first_of_type(const dsn::MimePart& parent, std::string_view type) {
  for (const auto& child : parent.children) {
    if (child.media_type() == type) return &child;
  }
  return nullptr;
}

// What the MAC covers besides the fields, appended to `out`: the
// notification's Subject, plain text and HTML as a reader decodes them.
void append_content(std::string& out, std::string_view subject, std::string_view text_plain, std::string_view html) {
  out.reserve(out.size() + subject.size() + text_plain.size() + html.size() + 24);
  append_canonical_piece(out, subject);
  append_canonical_piece(out, text_plain);
  append_canonical_piece(out, html);
}

// The same, read from a message; nullopt when it has no notification of
// the shape clearbounce writes (the first part of its report).
std::optional<std::string> covered_content(const dsn::MimePart& root, const dsn::MimePart* report) {
  if (report == nullptr || report->children.empty()) return std::nullopt;
  const auto& notification = report->children.front();
  if (notification.media_type() != "multipart/alternative") return std::nullopt;
  const auto* plain = first_of_type(notification, "text/plain");
  const auto* html = first_of_type(notification, "text/html");
  if (plain == nullptr || html == nullptr) return std::nullopt;
  std::string content;
  append_content(content, root.header_text("Subject"), plain->decoded_body(), html->decoded_body());
  return content;
}

// The MAC's input: the version, the fields, then `content` (from
// append_content()), each piece as it is covered.
std::string mac_input(std::string_view fields, std::string_view content) {
  std::string input;
  input.reserve(kVersion.size() + fields.size() + content.size() + 16);
  append_piece(input, kVersion);
  append_canonical_piece(input, fields);
  input.append(content);
  return input;
}

// The same for the texts themselves, made in one buffer.
std::string mac_input(std::string_view fields, std::string_view subject, std::string_view text_plain,
                      std::string_view html) {
  std::string input = mac_input(fields, {});
  append_content(input, subject, text_plain, html);
  return input;
}

struct ParsedMarker {
  std::string fields;  // before "; mac="
  std::string mac;
};

// A raw (possibly folded) X-Clearbounce value split at its last "mac=" item.
std::optional<ParsedMarker> parse_marker(std::string_view raw) {
  const auto semicolon = raw.rfind(';');
  if (semicolon == std::string_view::npos) return std::nullopt;
  // The last item without white space: "mac=<MAC>" whatever the folding.
  std::string mac;
  for (const char c : raw.substr(semicolon + 1))
    if (kCovered[static_cast<unsigned char>(c)]) mac.push_back(c);
  if (!mac.starts_with("mac=")) return std::nullopt;
  mac.erase(0, 4);
  // The fields unfolded: without the line breaks of folding.
  std::string fields;
  fields.reserve(semicolon);
  for (const char c : raw.substr(0, semicolon))
    if (c != '\r' && c != '\n') fields.push_back(c);
  return ParsedMarker{std::move(fields), std::move(mac)};
}

// The bytes of a header field from its name to its last line break.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

std::optional<Span> field_span(std::string_view message, const dsn::HeaderField& field) {
  const auto* base = message.data();
  if (field.name.data() < base || field.raw_value.data() + field.raw_value.size() > base + message.size()) {
    return std::nullopt;
  }
  Span span{static_cast<std::size_t>(field.name.data() - base),
            static_cast<std::size_t>(field.raw_value.data() + field.raw_value.size() - base)};
  if (span.end < message.size() && message[span.end] == '\r') ++span.end;
  if (span.end < message.size() && message[span.end] == '\n') ++span.end;
  return span;
}

}  // namespace

std::string detail::mac_input(std::string_view fields, std::string_view subject, std::string_view text_plain,
                              std::string_view html) {
  return marker::mac_input(fields, subject, text_plain, html);
}

std::optional<Key> Key::load_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open: " + std::strerror(errno);
    return std::nullopt;
  }
  std::string secret(kMaxKeyBytes + 1, '\0');
  in.read(secret.data(), static_cast<std::streamsize>(secret.size()));
  if (in.bad()) {
    error = path + ": cannot read: " + std::strerror(errno);
    return std::nullopt;
  }
  secret.resize(static_cast<std::size_t>(in.gcount()));
  if (secret.size() < kMinKeyBytes || secret.size() > kMaxKeyBytes) {
    error = path + ": a marker key has " + std::to_string(kMinKeyBytes) + " to " + std::to_string(kMaxKeyBytes) +
            " bytes (make one with: head -c 32 /dev/urandom > " + path + ")";
    return std::nullopt;
  }
  error.clear();
  return Key(std::move(secret));
}

const Key& Key::process_key() {
  static const Key key = [] {
    std::string secret(32, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), static_cast<int>(secret.size())) != 1) {
      throw std::runtime_error("no random bytes for the marker key");
    }
    return Key(std::move(secret));
  }();
  return key;
}

namespace {

struct MacContextFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacContext = std::unique_ptr<EVP_MAC_CTX, MacContextFree>;

// An HMAC-SHA-256 context keyed with `secret`, or null.
MacContext keyed_hmac(std::string_view secret) {
  const std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr), EVP_MAC_free);
  if (!hmac) return nullptr;
  MacContext ctx(EVP_MAC_CTX_new(hmac.get()));
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), params) != 1)
    return nullptr;
  return ctx;
}

}  // namespace

Key::Key(std::string secret) : secret_(std::move(secret)) {
  if (auto ctx = keyed_hmac(secret_)) keyed_ = std::shared_ptr<const EVP_MAC_CTX>(ctx.release(), MacContextFree{});
}

std::string Key::mac(std::string_view data) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  std::size_t length = 0;
  // A copy of the keyed context (EVP_MAC_CTX_dup reads its source only), or
  // a context keyed now.
  MacContext ctx = keyed_ ? MacContext(EVP_MAC_CTX_dup(keyed_.get())) : keyed_hmac(secret_);
  if (!ctx || EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), digest.data(), &length, digest.size()) != 1) {
    throw std::runtime_error("HMAC-SHA-256 failed");
  }
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> text{};
  const int written = EVP_EncodeBlock(text.data(), digest.data(), static_cast<int>(length));
  std::string out(reinterpret_cast<const char*>(text.data()), static_cast<std::size_t>(written));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::string unsealed(std::string_view fields) { return std::string(fields) + "; mac=" + kPlaceholder; }

bool seal(const Key& key, dsn::Rewritten& rewritten) {
  const auto edit = std::find_if(rewritten.headers.begin(), rewritten.headers.end(),
                                 [](const dsn::HeaderEdit& e) { return e.name == kFieldName; });
  if (edit == rewritten.headers.end()) return false;
  const auto marker = parse_marker(edit->value);
  if (!marker || marker->mac != kPlaceholder) return false;
  // The rewriter says what it wrote: the message need not be read back.
  const auto& written = rewritten.notification;
  const std::string mac = key.mac(mac_input(marker->fields, written.subject, written.text_plain, written.html));
  // Our field is the last of the header section: search backwards from the
  // body, so that a placeholder-like text in the original is left alone.
  const std::size_t header_size = rewritten.message.size() - rewritten.body.size();
  const auto in_message = rewritten.message.rfind(kPlaceholder, header_size);
  if (in_message == std::string::npos) return false;
  rewritten.message.replace(in_message, kMacLength, mac);
  edit->value.replace(edit->value.rfind(kPlaceholder), kMacLength, mac);
  return true;
}

std::vector<bool> verify(const Key& key, const dsn::MimeMessage& message) {
  return verify(key, message, dsn::layout_of(message.root));
}

std::vector<bool> verify(const Key& key, const dsn::MimeMessage& message, const dsn::ReportLayout& layout) {
  std::vector<bool> verdicts;
  std::optional<std::optional<std::string>> content;  // computed at the first marker only
  for (const auto& field : message.root.headers) {
    if (!dsn::detail::iequals(field.name, kFieldName)) continue;
    const auto marker = parse_marker(field.raw_value);
    if (!content) content = covered_content(message.root, layout.report);
    bool verified = false;
    if (marker && *content && marker->mac.size() == kMacLength) {
      const std::string expected = key.mac(mac_input(marker->fields, **content));
      verified = CRYPTO_memcmp(expected.data(), marker->mac.data(), kMacLength) == 0;
    }
    verdicts.push_back(verified);
  }
  return verdicts;
}

std::string without_markers(std::string_view message, const dsn::MimePart& root) {
  std::string out;
  out.reserve(message.size());
  std::size_t copied = 0;
  for (const auto& field : root.headers) {
    if (!dsn::detail::iequals(field.name, kFieldName)) continue;
    const auto span = field_span(message, field);
    if (!span || span->begin < copied) continue;
    out.append(message.substr(copied, span->begin - copied));
    copied = span->end;
  }
  out.append(message.substr(copied));
  return out;
}

}  // namespace clearbounce::engine::marker
