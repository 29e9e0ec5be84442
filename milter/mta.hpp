// What a session asks of the MTA over the milter protocol: the macros the
// MTA sent, and the changes to the message at end of message. The daemon's
// one is LibmilterMta (smfi_* calls, libmilter_mta.hpp); the unit tests
// record the calls instead, with no socket and no libmilter thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace clearbounce::milter {

class Mta {
 public:
  virtual ~Mta() = default;

  // The value of a macro ("i", "{i}", "{j}", ...) for the current step, or
  // nothing when the MTA sent none.
  virtual std::optional<std::string> macro(std::string_view name) const = 0;

  // Header changes, allowed at end of message only. Values are in the form
  // header_value_for_mta() gives; `index` counts from 1 among the fields of
  // that name. Each returns false when the MTA refuses the change.
  virtual bool add_header(std::string_view name, std::string_view value) = 0;
  virtual bool change_header(std::string_view name, int index, std::string_view value) = 0;
  virtual bool delete_header(std::string_view name, int index) = 0;

  // The whole new body (CRLF line ends), after every header change.
  virtual bool replace_body(std::string_view body) = 0;
};

}  // namespace clearbounce::milter
