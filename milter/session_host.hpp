// What a session needs of the daemon around it: the engine in use, the
// counters, and the count of transactions in progress that a stop waits
// for. Daemon is the one the program uses; the unit tests use it too, or
// one of their own.
#pragma once

#include <memory>

#include "diagnose/diagnoser.hpp"
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

  // The diagnosis service for our own MTA's reports (diagnose.enabled),
  // taken with the engine; null when it is off.
  virtual std::shared_ptr<diagnose::Diagnoser> diagnoser() const { return nullptr; }

  virtual Stats& stats() = 0;

  // A transaction runs from MAIL FROM to end of message or abort.
  // begin_transaction() is false once the daemon is stopping: the message
  // is then accepted unchanged. Every true is matched by one
  // end_transaction().
  virtual bool begin_transaction() = 0;
  virtual void end_transaction() noexcept = 0;

  // The bytes of delivery reports buffered (and then rewritten) are the
  // memory-heavy part, which the daemon bounds in total.
  // reserve_report_bytes() is false when `bytes` more would pass the bound,
  // unless the reserving report (which holds `held` bytes already) is the
  // only one buffered: a lone report is always read. The report then
  // passes unchanged. Every byte reserved is released once.
  virtual bool reserve_report_bytes(std::size_t bytes, std::size_t held) = 0;
  virtual void release_report_bytes(std::size_t bytes) noexcept = 0;
};

}  // namespace clearbounce::milter
