// The libmilter callbacks: the C boundary between libmilter's threads and
// the sessions. Each connection gets a Session (with a LibmilterMta) at
// negotiation, found again through smfi_getpriv() and destroyed at close.
// This is the daemon's one fail-open point: an exception from any step is
// logged, counted as an error, and the message is accepted unchanged.
#pragma once

#include <libmilter/mfapi.h>

#include <cstddef>

#include "milter/session_host.hpp"

namespace clearbounce::milter {

// The filter description for smfi_register(). Every connection's session
// uses `host`, which must outlive libmilter's threads (main.cpp never
// destroys it), and sends a new body in pieces of `body_piece_bytes`
// (0: kBodyPieceBytes, libmilter_mta.hpp).
struct smfiDesc filter_description(SessionHost& host, std::size_t body_piece_bytes = 0);

}  // namespace clearbounce::milter
