// Mta over libmilter: the smfi_* calls of one connection's context.
#pragma once

#include <libmilter/mfapi.h>

#include <cstddef>

#include "milter/mta.hpp"

namespace clearbounce::milter {

// The largest piece of a new body in one smfi_replacebody() call, and so
// in one SMFIR_REPLBODY packet. The protocol allows up to MILTER_CHUNK_SIZE
// (65535) data bytes per packet; 1 KiB below that leaves room for an MTA
// that counts the packet's command byte or length field in its limit.
// Postfix and Sendmail join the pieces, so a rewritten report (a few KB)
// goes out in one packet: one write for the milter, one read for the MTA.
constexpr std::size_t kBodyPieceBytes = 65535 - 1024;

class LibmilterMta final : public Mta {
 public:
  // `body_piece_bytes`: kBodyPieceBytes, except for protocol test tools
  // with smaller read buffers (clearbounce-milter -b, options.hpp).
  explicit LibmilterMta(SMFICTX* ctx, std::size_t body_piece_bytes = kBodyPieceBytes)
      : ctx_(ctx), body_piece_bytes_(body_piece_bytes) {}

  std::optional<std::string> macro(std::string_view name) const override;
  bool add_header(std::string_view name, std::string_view value) override;
  bool change_header(std::string_view name, int index, std::string_view value) override;
  bool delete_header(std::string_view name, int index) override;
  bool replace_body(std::string_view body) override;

 private:
  SMFICTX* ctx_;
  std::size_t body_piece_bytes_;
};

}  // namespace clearbounce::milter
