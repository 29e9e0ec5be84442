// What a session needs of the daemon around it: the engine in use, the
// counters, and the count of transactions in progress that a stop waits
// for. Daemon is the one the program uses; the unit tests use it too, or
// one of their own.
#pragma once

#include <memory>

#include "engine/engine.hpp"
#include "milter/stats.hpp"

namespace clearbounce::milter {

class SessionHost {
 public:
  virtual ~SessionHost() = default;

  // The engine for one message: sessions take a copy at MAIL FROM and keep
  // it to the end of the message, so one message always sees one
  // configuration even when a reload happens meanwhile. Null before the
  // first configuration is in place.
  virtual std::shared_ptr<const engine::Engine> engine() const = 0;

  virtual Stats& stats() = 0;

  // A transaction runs from MAIL FROM to end of message or abort.
  // begin_transaction() is false once the daemon is stopping: the message
  // is then accepted unchanged. Every true is matched by one
  // end_transaction().
  virtual bool begin_transaction() = 0;
  virtual void end_transaction() noexcept = 0;

  // A delivery report buffered and rewritten, from end of headers to the
  // end of its transaction: the memory-heavy part, of which the daemon
  // allows only so many at once. begin_report() is false when that many
  // are in progress: the report then passes unchanged. Every true is
  // matched by one end_report().
  virtual bool begin_report() = 0;
  virtual void end_report() noexcept = 0;
};

}  // namespace clearbounce::milter
