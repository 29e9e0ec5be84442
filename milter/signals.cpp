#include "milter/signals.hpp"

#include <pthread.h>
#include <signal.h>

#include <csignal>
#include <ctime>

namespace clearbounce::milter {
namespace {

constexpr int kStopSignals[] = {SIGTERM, SIGINT, SIGHUP};

// Set by the handler, read by the main thread.
volatile std::sig_atomic_t stop_signal = 0;

extern "C" void on_stop_signal(int number) { stop_signal = number; }

}  // namespace

void set_up_signals() {
  // Blocked in every thread: SIGUSR1 and SIGUSR2 are taken with
  // sigtimedwait() by the main thread, which alone unblocks the stop
  // signals for their handler.
  sigset_t blocked;
  sigemptyset(&blocked);
  for (const int number : {SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP}) sigaddset(&blocked, number);
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a closed MTA connection is an error from write(), not a death
  struct sigaction stop_action {};
  stop_action.sa_handler = on_stop_signal;
  sigemptyset(&stop_action.sa_mask);
  for (const int number : kStopSignals) sigaction(number, &stop_action, nullptr);
}

int wait_for_stop(const MilterThread& milter, Chores& chores) {
  sigset_t stop_set;
  sigemptyset(&stop_set);
  for (const int number : kStopSignals) sigaddset(&stop_set, number);
  pthread_sigmask(SIG_UNBLOCK, &stop_set, nullptr);

  sigset_t chore_set;
  sigemptyset(&chore_set);
  sigaddset(&chore_set, SIGUSR1);
  sigaddset(&chore_set, SIGUSR2);
  while (stop_signal == 0 && !milter.done()) {
    const timespec wait{0, 250'000'000};
    const int received = sigtimedwait(&chore_set, nullptr, &wait);  // EINTR when a stop signal is caught
    if (received == SIGUSR1 || received == SIGUSR2) chores.post(received);
  }
  // The stop signals stay unblocked here: a second one while the messages
  // in progress finish means "stop now".
  const int received = stop_signal;
  stop_signal = 0;
  return received;
}

bool stop_signal_pending() { return stop_signal != 0; }

const char* stop_signal_name(int number) {
  return number == SIGTERM ? "SIGTERM" : number == SIGINT ? "SIGINT" : "SIGHUP";
}

}  // namespace clearbounce::milter
