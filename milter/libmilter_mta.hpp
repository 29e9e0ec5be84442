// Mta over libmilter: the smfi_* calls of one connection's context.
#pragma once

#include <libmilter/mfapi.h>

#include "milter/mta.hpp"

namespace clearbounce::milter {

class LibmilterMta final : public Mta {
 public:
  explicit LibmilterMta(SMFICTX* ctx) : ctx_(ctx) {}

  std::optional<std::string> macro(std::string_view name) const override;
  bool add_header(std::string_view name, std::string_view value) override;
  bool change_header(std::string_view name, int index, std::string_view value) override;
  bool delete_header(std::string_view name, int index) override;
  bool replace_body(std::string_view body) override;

 private:
  SMFICTX* ctx_;
};

}  // namespace clearbounce::milter
