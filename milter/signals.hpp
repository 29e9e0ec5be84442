// The daemon's signals. SIGUSR1 (reload) and SIGUSR2 (log the counters) go
// to the chores thread; SIGTERM, SIGINT and SIGHUP stop the daemon: the
// messages in progress finish first, and a second one means "stop now".
//
// libmilter has a signal thread of its own that waits for SIGTERM, SIGINT
// and SIGHUP and, with the worker pool of Debian's build, stops serving
// every connection at once. Only the main thread leaves these signals
// unblocked, and Linux hands a signal sent to the process to its main
// thread first whenever that thread can take it (it cannot only while
// another signal sent a moment before is still pending for it): so the
// daemon gets SIGTERM and can let the messages in progress finish before it
// tells libmilter to stop. Should libmilter get it after all, the daemon
// still stops, and the messages in progress pass unchanged.
#pragma once

#include "milter/chores.hpp"
#include "milter/milter_thread.hpp"

namespace clearbounce::milter {

// Call before any thread starts (they inherit the mask): blocks the five
// signals, ignores SIGPIPE and installs the stop handler, which only the
// main thread will run (wait_for_stop unblocks the stop signals there).
void set_up_signals();

// Waits in the main thread, handing SIGUSR1 and SIGUSR2 to `chores`, until
// a stop signal arrives (returned) or libmilter stops on its own (0).
int wait_for_stop(const MilterThread& milter, Chores& chores);

// Whether another stop signal arrived since wait_for_stop returned.
bool stop_signal_pending();

// "SIGTERM", "SIGINT" or "SIGHUP".
const char* stop_signal_name(int number);

}  // namespace clearbounce::milter
