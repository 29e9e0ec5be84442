#include "milter/daemon.hpp"

#include <malloc.h>

#include <syslog.h>

#include <exception>

#include "config/config.hpp"
#include "engine/diagnosis.hpp"
#include "milter/log.hpp"

namespace clearbounce::milter {

std::shared_ptr<const engine::Engine> load_engine(const std::string& config_path,
                                                  std::vector<std::string>& errors) {
  try {
    std::string error;
    const auto config = config::load_file(config_path, error);
    if (!config) {
      errors.push_back(error);
      return nullptr;
    }
    std::vector<std::string> engine_errors;
    std::shared_ptr<const engine::Engine> engine = engine::Engine::load(*config, engine_errors);
    if (!engine) {
      if (engine_errors.empty()) engine_errors.push_back(config_path + ": the configuration cannot be used");
      errors.insert(errors.end(), engine_errors.begin(), engine_errors.end());
      return nullptr;
    }
    return engine;
  } catch (const std::exception& e) {
    errors.push_back(config_path + ": " + e.what());
    return nullptr;
  }
}

std::shared_ptr<const engine::Engine> Daemon::engine() const {
  std::lock_guard lock(engine_mutex_);
  return engine_;
}

std::shared_ptr<diagnose::Diagnoser> Daemon::diagnoser() const {
  std::lock_guard lock(engine_mutex_);
  return diagnoser_;
}

void Daemon::set_engine(std::shared_ptr<const engine::Engine> engine) {
  std::shared_ptr<diagnose::Diagnoser> diagnoser;
  if (engine && engine->config().diagnose.enabled) {
    std::string error;
    diagnoser = engine::start_diagnosis(engine->config(), "", error);
    if (!diagnoser) log(LOG_ERR, "diagnose: %s; reports go without a diagnosis", error.c_str());
    if (diagnoser) log(LOG_INFO, "diagnose: on; %s", diagnoser->describe().c_str());
  }
  std::shared_ptr<const engine::Engine> old;
  std::shared_ptr<diagnose::Diagnoser> old_diagnoser;
  {
    std::lock_guard lock(engine_mutex_);
    old = std::exchange(engine_, std::move(engine));
    old_diagnoser = std::exchange(diagnoser_, std::move(diagnoser));
  }
  // `old` and `old_diagnoser` are released here, outside the lock;
  // sessions still holding them finish their message with them.
}

namespace {

// Settings that are read once, when the socket is opened and the user
// changed: a new value needs a restart.
void note_restart_settings(const config::Config::Milter& was, const config::Config::Milter& now) {
  const auto note = [](const char* key, const std::string& old_value, const std::string& new_value) {
    if (old_value != new_value) {
      log(LOG_WARNING, "reload: milter.%s changed from \"%s\" to \"%s\"; it takes effect at the next restart", key,
          old_value.c_str(), new_value.c_str());
    }
  };
  note("socket", was.socket, now.socket);
  note("user", was.user, now.user);
  note("group", was.group, now.group);
  note("umask", std::to_string(was.umask), std::to_string(now.umask));
  note("timeout_seconds", std::to_string(was.timeout_seconds), std::to_string(now.timeout_seconds));
}

}  // namespace

bool Daemon::reload() {
  std::lock_guard reload_lock(reload_mutex_);
  std::vector<std::string> errors;
  auto fresh = load_engine(config_path, errors);
  if (!fresh) {
    for (const auto& error : errors) log(LOG_ERR, "reload refused: %s", error.c_str());
    log(LOG_ERR, "reload refused: the running configuration stays in use");
    return false;
  }
  const auto current = engine();
  if (current) note_restart_settings(current->config().milter, fresh->config().milter);
  log_set_level(fresh->config().milter.log_level);
  set_engine(std::move(fresh));
  log(LOG_NOTICE, "reloaded configuration and templates from %s", config_path.c_str());
  return true;
}

bool Daemon::begin_transaction() {
  std::lock_guard lock(transactions_mutex_);
  if (stopping_) return false;
  ++open_transactions_;
  return true;
}

void Daemon::end_transaction() noexcept {
  std::lock_guard lock(transactions_mutex_);
  if (open_transactions_ > 0) --open_transactions_;
  if (open_transactions_ == 0) transactions_done_.notify_all();
}

std::size_t Daemon::open_transactions() const {
  std::lock_guard lock(transactions_mutex_);
  return open_transactions_;
}

bool Daemon::reserve_report_bytes(std::size_t bytes, std::size_t held) {
  std::size_t buffered = report_bytes_.load(std::memory_order_relaxed);
  do {
    const bool alone = buffered == held;
    if (!alone && buffered + bytes > report_bytes_at_once_) return false;
  } while (!report_bytes_.compare_exchange_weak(buffered, buffered + bytes, std::memory_order_relaxed));
  return true;
}

void Daemon::release_report_bytes(std::size_t bytes) noexcept {
  if (bytes == 0) return;
  if (report_bytes_.fetch_sub(bytes, std::memory_order_relaxed) == bytes)
    trim_wanted_.store(true, std::memory_order_relaxed);
}

// Returns the freed heap to the system once no report is in progress.
// Without this, glibc keeps the peak of a large (or hostile) report for
// good, in every arena that served one. Not at the end of every report:
// malloc_trim walks every arena and gives pages back with madvise, and the
// page faults and TLB flushes that follow cost more than a small report's
// rewrite (bench/postfix/README.md); the chores thread calls this a few
// times a second instead.
void Daemon::trim_heap_if_idle() noexcept {
  if (report_bytes_.load(std::memory_order_relaxed) != 0) return;
  if (trim_wanted_.exchange(false, std::memory_order_relaxed)) ::malloc_trim(0);
}

std::size_t Daemon::stop_and_drain(std::chrono::milliseconds limit, const std::function<bool()>& give_up) {
  const auto until = std::chrono::steady_clock::now() + limit;
  std::unique_lock lock(transactions_mutex_);
  stopping_ = true;
  while (open_transactions_ > 0 && std::chrono::steady_clock::now() < until) {
    transactions_done_.wait_for(lock, std::chrono::milliseconds(100), [this] { return open_transactions_ == 0; });
    if (open_transactions_ > 0 && give_up && give_up()) break;
  }
  return open_transactions_;
}

}  // namespace clearbounce::milter
