// The X-Clearbounce marker: "category=<id>[,<id>...]; locale=<tag>
// [; forged=yes]; mac=<MAC>". Only a marker whose MAC verifies means
// "already rewritten": anyone can write the header, nobody without the key
// can write a MAC that verifies.
//
// The MAC is HMAC-SHA-256 (base64url, no padding, 43 characters) over, in
// this order:
//   - the marker's fields (everything before "; mac="),
//   - the message's first Subject, decoded,
//   - the text/plain and the text/html of the notification (the first part
//     of the multipart/report, a multipart/alternative), decoded,
// each with every ASCII white-space and control character removed, so that
// refolding, line-end conversion and re-encoding in transit keep it valid,
// while a changed word, category or flag does not. A marker copied onto
// another message therefore does not verify.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsn/layout.hpp"
#include "dsn/mime.hpp"
#include "dsn/rewrite.hpp"

namespace clearbounce::engine::marker {

// The secret behind every MAC. Never printed or logged.
class Key {
 public:
  // A file's bytes as they are (the Debian package writes 32 random bytes
  // to /etc/clearbounce/marker.key); at least 16 bytes, at most 4 KiB.
  static std::optional<Key> load_file(const std::string& path, std::string& error);
  // 32 random bytes made once per process: its markers verify only within
  // this process (the CLI and tests, or a daemon with no key file).
  static const Key& process_key();

  // base64url HMAC-SHA-256 of `data`. Thread-safe.
  std::string mac(std::string_view data) const;

 private:
  explicit Key(std::string secret);
  std::string secret_;
  // HMAC-SHA-256 with the secret already absorbed, never changed after
  // construction: each mac() works on a copy. Fetching the algorithm and
  // keying it for every message cost a third of the MAC. Null if OpenSSL
  // could not set it up; mac() then keys a new one each time.
  std::shared_ptr<const EVP_MAC_CTX> keyed_;
};

// The value to put into RewriteRequest::x_clearbounce for `fields` (such as
// "category=x; locale=en"): the fields and a placeholder MAC, which seal()
// replaces once the notification exists.
std::string unsealed(std::string_view fields);

// Replaces the placeholder MAC in the X-Clearbounce edit and in the whole
// message of `rewritten` (made from an unsealed() value) with the real one.
// False when the rewritten message lacks the shape the MAC covers.
bool seal(const Key& key, dsn::Rewritten& rewritten);

// One verdict per X-Clearbounce field of the message's top header section,
// in order: true when its MAC verifies.
std::vector<bool> verify(const Key& key, const dsn::MimeMessage& message);
// The same, with the message's layout worked out already (layout_of(message.root)).
std::vector<bool> verify(const Key& key, const dsn::MimeMessage& message, const dsn::ReportLayout& layout);

// `message` without the X-Clearbounce fields of its top header section
// (with their continuation lines); `root` is parse_mime(message)'s root.
std::string without_markers(std::string_view message, const dsn::MimePart& root);

namespace detail {
// The bytes the MAC is computed over for a marker's `fields` and the
// notification's texts (as a reader decodes them): what seal() signs and
// verify() checks, for the tests that pin its form down.
std::string mac_input(std::string_view fields, std::string_view subject, std::string_view text_plain,
                      std::string_view html);
}  // namespace detail

}  // namespace clearbounce::engine::marker
