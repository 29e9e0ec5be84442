#include "diagnose/diagnoser.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "diagnose/dns.hpp"
#include "diagnose/smtp_probe.hpp"

namespace clearbounce::diagnose {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kMaxCached = 4096;  // destinations remembered
constexpr std::size_t kCandidatesLookedUp = 2;  // typo suggestions whose MX is asked for, in order

// Where one asker waits for its finding.
struct Waiter {
  std::mutex mutex;
  std::condition_variable ready;
  std::optional<Finding> finding;
};

void deliver(Waiter& waiter, const Finding& finding) {
  {
    std::lock_guard lock(waiter.mutex);
    waiter.finding = finding;
  }
  waiter.ready.notify_all();
}

std::string key_of(const Question& q) {
  if (q.look == Question::Look::blocklists) return "blocklists " + q.our_address;  // one look per address of ours
  return std::string(q.look == Question::Look::domain ? "domain " : "server ") + q.domain + " " + q.remote_host;
}

Finding nothing(std::string summary) {
  Finding finding;
  finding.summary = std::move(summary);
  finding.checked_at = std::time(nullptr);
  return finding;
}

using Route = PostfixRoutes::Route;

// A question on its way to the loop thread, with the MTA's route for its
// domain, found in the asker's thread: postmap may take a while, and the
// loop thread serves everybody's lookups.
struct Asked {
  Question question;
  std::shared_ptr<Waiter> waiter;
  Route route;
};

}  // namespace

// One question being worked on, by the loop thread only.
struct Job {
  enum class Stage {
    mx, relay_mx, domain_addresses, host_addresses, waiting_to_probe, probing, blocklists, suggestion, done
  };
  Question question;
  Route route;  // the MTA's own next hop; Kind::mx without Postfix's tables
  std::vector<std::shared_ptr<Waiter>> waiters;
  Clock::time_point give_up;
  Stage stage = Stage::mx;
  int open_lookups = 0;
  DnsAnswer mx, a, aaaa;
  DnsAnswer tlsa;  // the host's, at the MTA's DANE levels
  std::string host;
  std::uint16_t port = 25;
  std::optional<ProbeTarget> target;
  std::unique_ptr<SmtpProbe> probe;
  std::vector<DnsAnswer> blocklist_answers;  // Look::blocklists: one per settings.blocklists
  std::vector<std::string> candidates;  // Stage::suggestion: well-known domains still to ask, best last
  DnsAnswer candidate_mx;               // the MX answer for candidates.back()
  Finding finding;
};

// The TLSA records DANE uses (RFC 7672 3.1): validated by DNSSEC, of the
// usages DANE-TA(2) and DANE-EE(3); none else, and the MTA's dane level
// then checks no certificate at all.
std::vector<TlsaRecord> usable_tlsa(const DnsAnswer& answer) {
  std::vector<TlsaRecord> usable;
  if (answer.outcome != DnsOutcome::answered || !answer.authenticated) return usable;
  for (const auto& r : answer.tlsa)
    if ((r.usage == 2 || r.usage == 3) && r.selector <= 1 && r.matching_type <= 2) usable.push_back(r);
  return usable;
}

// A certificate finding stands only where the MTA checks certificates the
// way the probe did: against the trust store and names (Postfix's verify
// and secure levels), or against the TLSA records (dane, when the host has
// usable ones). At fingerprint it checks something else, and at may,
// encrypt or dane without TLSA nothing: a certificate problem was then no
// cause of the failure.
Finding as_the_mta_checks(const Job& job, Finding finding) {
  const bool certificate = finding.category.starts_with("tls.certificate") || finding.category == "tls.dane_mismatch";
  const bool by_tlsa = job.target && !job.target->tlsa.empty();
  if (!certificate || by_tlsa || checks_certificate_names(job.route.tls.level)) return finding;
  return nothing(finding.summary + "; not a cause at the MTA's TLS level " + std::string(to_string(job.route.tls.level)));
}

struct Diagnoser::Loop {
  DiagnoseSettings settings;
  AddressPolicy policy;
  std::unique_ptr<DnsClient> dns;
  std::shared_ptr<const TlsContext> tls;
  int wake[2] = {-1, -1};
  std::thread thread;

  mutable std::mutex mutex;  // guards what follows
  bool stopping = false;
  std::string failure;  // why the loop thread ended early (an exception); questions then get nothing
  std::vector<Asked> incoming;
  std::map<std::string, std::pair<Finding, Clock::time_point>> cache;
  DiagnoseCounters counters;

  // The loop thread's own.
  std::map<std::uint64_t, std::unique_ptr<Job>> jobs;
  std::map<std::string, std::uint64_t> job_of_key;
  std::uint64_t next_job = 1;

  ~Loop() {
    dns.reset();  // while the jobs its callbacks look up still exist
    for (int fd : wake)
      if (fd >= 0) ::close(fd);
  }

  void run();
  void run_or_fail() noexcept;
  void take_incoming();
  std::optional<Finding> cached_finding(const std::string& key);  // counts a hit
  std::shared_ptr<Waiter> send(const Question& question, Clock::time_point deadline, Finding& finding);
  Finding wait(Waiter& waiter, const Question& question, Clock::time_point deadline);
  void look_up(std::uint64_t id, const std::string& name, RecordType type, DnsAnswer Job::*into);
  void advance(std::uint64_t id);
  void after_mx(std::uint64_t id, Job& job);
  void suggest_domain(std::uint64_t id, Job& job);
  void next_candidate(std::uint64_t id, Job& job);
  bool took_candidate_answer(Job& job);
  void look_up_host(std::uint64_t id, const std::string& host);
  void start_job(std::uint64_t id);
  Question with_our_address(Question question) const;
  void start_blocklist_look(std::uint64_t id);
  void advance_to_probe(std::uint64_t id);
  void look_up_addresses(std::uint64_t id, const std::string& name);
  void after_host_addresses(Job& job);
  void start_probes();
  void finish(std::uint64_t id);
  std::vector<pollfd> poll_set(std::vector<std::uint64_t>& probe_owners) const;
  milliseconds wait_time() const;
};

void Diagnoser::Loop::run() {
  for (;;) {
    {
      std::lock_guard lock(mutex);
      if (stopping) break;
    }
    take_incoming();
    start_probes();
    std::vector<std::uint64_t> owners;
    auto fds = poll_set(owners);
    ::poll(fds.data(), fds.size(), static_cast<int>(wait_time().count()));
    if ((fds[0].revents & POLLIN) != 0) {
      char drained[64];
      while (::read(wake[0], drained, sizeof drained) > 0) {
      }
    }
    const std::size_t dns_count = fds.size() - 1 - owners.size();
    dns->process(std::vector<pollfd>(fds.begin() + 1, fds.begin() + 1 + static_cast<long>(dns_count)));
    for (std::size_t i = 0; i < owners.size(); ++i) {
      const auto found = jobs.find(owners[i]);
      if (found == jobs.end() || !found->second->probe) continue;
      found->second->probe->on_ready(fds[1 + dns_count + i].revents);
      advance(owners[i]);
    }
    start_probes();  // for the jobs whose addresses just came
    const auto now = Clock::now();
    std::vector<std::uint64_t> expired;
    for (const auto& [id, job] : jobs)
      if (now >= job->give_up) expired.push_back(id);
    // Past its bound a look has shown nothing: a server may pause before
    // its greeting for longer than we wait, and that is no failure of its.
    for (auto id : expired) {
      auto& job = *jobs.at(id);
      if (job.probe) job.probe->give_up();
      // A domain not found stays so; only its suggestion is left out.
      if (job.stage != Job::Stage::suggestion) job.finding = nothing(job.question.domain + ": no answer before the deadline");
      finish(id);
    }
  }
  for (auto& [id, job] : jobs)
    for (auto& waiter : job->waiters) deliver(*waiter, nothing("the diagnosis service stopped"));
  jobs.clear();
  job_of_key.clear();
  dns->cancel_all();  // their callbacks find no job
}

std::vector<pollfd> Diagnoser::Loop::poll_set(std::vector<std::uint64_t>& probe_owners) const {
  std::vector<pollfd> fds = {pollfd{wake[0], POLLIN, 0}};
  for (const auto& p : dns->sockets()) fds.push_back(p);
  for (const auto& [id, job] : jobs) {
    if (job->stage != Job::Stage::probing || !job->probe || job->probe->done()) continue;
    fds.push_back(job->probe->want());
    probe_owners.push_back(id);
  }
  return fds;
}

milliseconds Diagnoser::Loop::wait_time() const {
  auto wait = dns->wait_at_most(milliseconds(1000));
  const auto now = Clock::now();
  for (const auto& [id, job] : jobs)
    wait = std::min(wait, std::chrono::duration_cast<milliseconds>(job->give_up - now) + milliseconds(1));
  return std::max(wait, milliseconds(0));
}

void Diagnoser::Loop::take_incoming() {
  std::vector<Asked> taken;
  {
    std::lock_guard lock(mutex);
    taken.swap(incoming);
  }
  for (auto& [question, waiter, route] : taken) {
    const std::string key = key_of(question);
    if (const auto running = job_of_key.find(key); running != job_of_key.end()) {
      jobs.at(running->second)->waiters.push_back(waiter);
      std::lock_guard lock(mutex);
      ++counters.cache_hits;
      continue;
    }
    // Asked while a look for the same destination was finishing: its
    // finding is in the cache now.
    if (const auto cached = cached_finding(key)) {
      deliver(*waiter, *cached);
      continue;
    }
    const auto id = next_job++;
    auto job = std::make_unique<Job>();
    job->question = question;
    job->route = route;
    job->waiters.push_back(waiter);
    job->give_up = Clock::now() + settings.deadline;
    job->port = settings.smtp_port;
    jobs.emplace(id, std::move(job));
    job_of_key.emplace(key, id);
    start_job(id);
  }
}

// Where the MTA sent the mail: a route of its own (transport_maps,
// relayhost) for a server look, else the domain's MX.
void Diagnoser::Loop::start_job(std::uint64_t id) {
  Job& job = *jobs.at(id);
  if (job.question.look == Question::Look::blocklists) return start_blocklist_look(id);
  if (job.route.kind == Route::Kind::not_smtp) {
    job.finding = nothing(job.question.domain + ": the MTA does not deliver it over SMTP");
    job.stage = Job::Stage::done;
    return finish(id);
  }
  if (job.route.kind == Route::Kind::next_hop) {
    const NextHop* hop = &job.route.hop;
    if (!(hop->mx_lookup && hop->host == job.question.domain)) {
      job.port = hop->port;
      if (hop->mx_lookup) {
        job.host = hop->host;
        job.stage = Job::Stage::relay_mx;
        return look_up(id, hop->host, RecordType::mx, &Job::mx);
      }
      return look_up_host(id, hop->host);  // [192.0.2.7] is taken as it is
    }
  }
  look_up(id, job.question.domain, RecordType::mx, &Job::mx);
}

void Diagnoser::Loop::advance_to_probe(std::uint64_t id) {
  Job& job = *jobs.at(id);
  job.stage = Job::Stage::host_addresses;
  advance(id);
}

std::optional<Finding> Diagnoser::Loop::cached_finding(const std::string& key) {
  std::lock_guard lock(mutex);
  const auto cached = cache.find(key);
  if (cached == cache.end() || cached->second.second <= Clock::now()) return std::nullopt;
  ++counters.cache_hits;
  return cached->second.first;
}

void Diagnoser::Loop::look_up(std::uint64_t id, const std::string& name, RecordType type, DnsAnswer Job::*into) {
  ++jobs.at(id)->open_lookups;
  {
    std::lock_guard lock(mutex);
    ++counters.lookups;
  }
  dns->query(name, type, [this, id, into](const DnsAnswer& answer) {
    const auto found = jobs.find(id);
    if (found == jobs.end()) return;  // finished meanwhile (its deadline passed)
    (*found->second).*into = answer;
    if (--found->second->open_lookups == 0) advance(id);
  });
}

void Diagnoser::Loop::advance(std::uint64_t id) {
  const auto found = jobs.find(id);
  if (found == jobs.end()) return;
  Job& job = *found->second;
  switch (job.stage) {
    case Job::Stage::mx: after_mx(id, job); break;
    case Job::Stage::relay_mx:  // a relay named by the route: its first MX, else itself
      look_up_host(id, job.mx.outcome == DnsOutcome::answered && !job.mx.mx.empty() && !job.mx.null_mx()
                           ? job.mx.mx.front().host
                           : job.host);
      break;
    case Job::Stage::domain_addresses:
      job.finding = from_domain_lookup(job.question.domain, job.mx, &job.a, &job.aaaa, std::time(nullptr));
      if (job.finding.learned() || job.question.look == Question::Look::domain) {
        job.stage = Job::Stage::done;
      } else if (!job.question.remote_host.empty() && job.question.remote_host != job.question.domain) {
        look_up_host(id, job.question.remote_host);
      } else {
        job.host = job.question.domain;
        after_host_addresses(job);  // the domain's own addresses are its mail host's
      }
      break;
    case Job::Stage::host_addresses: after_host_addresses(job); break;
    case Job::Stage::suggestion:
      if (!took_candidate_answer(job)) next_candidate(id, job);
      break;
    case Job::Stage::blocklists:
      job.finding = from_blocklist_answers(*IpAddress::parse(job.question.our_address), settings.blocklists,
                                           job.blocklist_answers, std::time(nullptr));
      job.stage = Job::Stage::done;
      break;
    case Job::Stage::probing:
      if (job.probe->done()) {
        job.finding = as_the_mta_checks(job, from_probe(*job.target, job.probe->result(), std::time(nullptr)));
        job.stage = Job::Stage::done;
      }
      break;
    default: break;
  }
  // A lookup c-ares answers at once (a name it refuses) may have advanced
  // and finished the job inside the switch: `job` is looked up again.
  if (const auto still = jobs.find(id); still != jobs.end() && still->second->stage == Job::Stage::done) finish(id);
}

// Which address of ours a block-list question is about (blocklists.hpp):
// found in the asker's thread, so that the cache holds one look per address.
Question Diagnoser::Loop::with_our_address(Question question) const {
  if (question.look != Question::Look::blocklists) return question;
  const auto chosen = choose_sending_address(settings.sending_addresses, question.client_ip, question.remote_ip,
                                             policy, source_address_toward);
  question.our_address = chosen ? chosen->to_string() : "";
  return question;
}

// One A query per configured list, all at once (a list that does not hold
// IPv6 addresses is not asked about one); the finding when the last answers.
void Diagnoser::Loop::start_blocklist_look(std::uint64_t id) {
  Job& job = *jobs.at(id);
  const auto address = IpAddress::parse(job.question.our_address);
  if (!settings.check_blocklists || settings.blocklists.empty() || !address) {
    job.finding = nothing(address ? "block lists: not checked (diagnose.check_blocklists)"
                                  : "block lists: no public address of ours to look up");
    job.stage = Job::Stage::done;
    return finish(id);
  }
  job.stage = Job::Stage::blocklists;
  job.blocklist_answers.assign(settings.blocklists.size(), DnsAnswer{});
  ++job.open_lookups;  // held open until every query is sent: c-ares may answer one at once
  for (std::size_t i = 0; i < settings.blocklists.size(); ++i) {
    const Blocklist& list = settings.blocklists[i];
    if (!address->is_v4() && !list.ipv6) continue;
    ++job.open_lookups;
    {
      std::lock_guard lock(mutex);
      ++counters.lookups;
    }
    dns->query(query_name(*address, list.zone), RecordType::a, [this, id, i](const DnsAnswer& answer) {
      const auto found = jobs.find(id);
      if (found == jobs.end()) return;  // finished meanwhile (its deadline passed)
      found->second->blocklist_answers[i] = answer;
      if (--found->second->open_lookups == 0) advance(id);
    });
  }
  if (--job.open_lookups == 0) advance(id);
}

void Diagnoser::Loop::after_mx(std::uint64_t id, Job& job) {
  if (job.mx.outcome == DnsOutcome::no_records) {  // no MX: the domain's own addresses (RFC 5321 5.1)
    job.stage = Job::Stage::domain_addresses;
    look_up_addresses(id, job.question.domain);
    return;
  }
  job.finding = from_domain_lookup(job.question.domain, job.mx, nullptr, nullptr, std::time(nullptr));
  if (job.finding.category == "domain.not_found" && settings.mail_domains) return suggest_domain(id, job);
  if (job.finding.learned() || job.question.look == Question::Look::domain ||
      job.mx.outcome != DnsOutcome::answered || job.mx.mx.empty()) {
    job.stage = Job::Stage::done;
    return;
  }
  look_up_host(id, job.question.remote_host.empty() ? job.mx.mx.front().host : job.question.remote_host);
}

// "Did you mean ...?" for a domain that does not exist: the closest
// well-known mail domains, best first, until one has mail servers now (a
// real MX, not a null one). The domain not found stands either way.
void Diagnoser::Loop::suggest_domain(std::uint64_t id, Job& job) {
  job.candidates = settings.mail_domains->suggestions_for(job.question.domain, kCandidatesLookedUp);
  std::reverse(job.candidates.begin(), job.candidates.end());  // taken from the back
  job.stage = Job::Stage::suggestion;
  next_candidate(id, job);
}

// Asks for the next candidate's MX. The job is held open while asking:
// c-ares may answer at once (from its cache), and that answer is read here,
// not in an advance() nested inside this one that could end the job.
void Diagnoser::Loop::next_candidate(std::uint64_t id, Job& job) {
  while (!job.candidates.empty()) {
    ++job.open_lookups;
    look_up(id, job.candidates.back(), RecordType::mx, &Job::candidate_mx);
    if (--job.open_lookups > 0) return;  // the answer comes through advance()
    if (took_candidate_answer(job)) return;
  }
  job.stage = Job::Stage::done;
}

// The answer for candidates.back(): true when it has mail servers, which
// makes it the suggestion.
bool Diagnoser::Loop::took_candidate_answer(Job& job) {
  const std::string candidate = std::move(job.candidates.back());
  job.candidates.pop_back();
  const DnsAnswer& mx = job.candidate_mx;
  if (mx.outcome != DnsOutcome::answered || mx.mx.empty() || mx.null_mx()) {
    job.finding.summary += "; " + candidate + " not suggested, no mail servers (" +
                           (mx.null_mx() ? std::string("null MX") : std::string(to_string(mx.outcome))) + ")";
    return false;
  }
  job.finding.facts["suggested_domain"] = candidate;
  job.finding.summary += "; suggested " + candidate + ", which has mail servers";
  job.stage = Job::Stage::done;
  return true;
}

// A host name's addresses; an address ("192.0.2.7", "[192.0.2.7]", as
// reports write remote hosts) is taken as it is.
void Diagnoser::Loop::look_up_host(std::uint64_t id, const std::string& host) {
  Job& job = *jobs.at(id);
  std::string_view bare = host;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
  if (const auto address = IpAddress::parse(bare)) {
    job.host.clear();  // no name to ask the certificate for
    job.a = job.aaaa = DnsAnswer{};
    job.a.addresses = {*address};
    return advance_to_probe(id);
  }
  job.host = host;
  job.stage = Job::Stage::host_addresses;
  job.tlsa = DnsAnswer{};
  ++job.open_lookups;  // held until every lookup is sent
  if (job.route.tls.level == TlsLevel::dane || job.route.tls.level == TlsLevel::dane_only)
    look_up(id, "_" + std::to_string(job.port) + "._tcp." + host, RecordType::tlsa, &Job::tlsa);
  look_up_addresses(id, host);
  if (--job.open_lookups == 0) advance(id);
}

// A and AAAA together. The job is held open until both are sent: c-ares
// may answer one at once (a name it refuses), and the job must not end
// between the two.
void Diagnoser::Loop::look_up_addresses(std::uint64_t id, const std::string& name) {
  Job& job = *jobs.at(id);
  job.a = job.aaaa = DnsAnswer{};
  ++job.open_lookups;
  look_up(id, name, RecordType::a, &Job::a);
  look_up(id, name, RecordType::aaaa, &Job::aaaa);
  if (--job.open_lookups == 0) advance(id);
}

// The first address of the host that the policy lets us reach, IPv4 first.
void Diagnoser::Loop::after_host_addresses(Job& job) {
  job.stage = Job::Stage::done;
  std::vector<IpAddress> addresses = job.a.addresses;
  addresses.insert(addresses.end(), job.aaaa.addresses.begin(), job.aaaa.addresses.end());
  if (addresses.empty()) {
    job.finding = nothing(job.host + ": no address (" + std::string(to_string(job.a.outcome)) + ")");
    return;
  }
  for (const auto& address : addresses) {
    if (const auto refusal = policy.refusal(address); !refusal.empty()) {
      job.finding = nothing(job.host + "[" + address.to_string() + "]: not probed, " + std::string(refusal));
      std::lock_guard lock(mutex);
      ++counters.refused_by_policy;
      continue;
    }
    // The names the MTA's TLS policy asks the certificate for (none
    // without Postfix's settings: then the host's own).
    const std::string& next_hop = job.route.kind == Route::Kind::next_hop ? job.route.hop.host : job.question.domain;
    job.target = ProbeTarget{address, job.port, job.host,
                             certificate_names_wanted(job.route.tls, job.route.certificate_match, job.host, next_hop),
                             usable_tlsa(job.tlsa)};
    job.stage = Job::Stage::waiting_to_probe;
    return;
  }
}

void Diagnoser::Loop::start_probes() {
  std::size_t running = 0;
  for (const auto& [id, job] : jobs) running += job->stage == Job::Stage::probing ? 1 : 0;
  std::vector<std::uint64_t> started;
  for (auto& [id, job] : jobs) {
    if (running >= settings.max_concurrent_probes) break;
    if (job->stage != Job::Stage::waiting_to_probe) continue;
    job->probe = std::make_unique<SmtpProbe>(*job->target, settings.helo_name, tls);
    job->stage = Job::Stage::probing;
    job->probe->start();
    ++running;
    started.push_back(id);
    std::lock_guard lock(mutex);
    ++counters.probes;
  }
  for (auto id : started) advance(id);  // a probe may end at once (connection refused)
}

// The loop thread. An exception (out of memory, a bug) ends the service,
// not the program: the waiting questions and every later one get
// "nothing learned" with the reason, and reports go without a diagnosis.
void Diagnoser::Loop::run_or_fail() noexcept {
  try {
    run();
  } catch (const std::exception& e) {
    std::vector<std::shared_ptr<Waiter>> waiting;
    for (auto& [id, job] : jobs) waiting.insert(waiting.end(), job->waiters.begin(), job->waiters.end());
    {
      std::lock_guard lock(mutex);
      failure = e.what();
      for (auto& asked : incoming) waiting.push_back(asked.waiter);
      incoming.clear();
    }
    // Outside the lock: an asker takes its waiter's lock before this one.
    for (auto& waiter : waiting) deliver(*waiter, nothing(std::string("the diagnosis stopped: ") + e.what()));
  }
}

void Diagnoser::Loop::finish(std::uint64_t id) {
  const auto found = jobs.find(id);
  if (found == jobs.end()) return;
  Job& job = *found->second;
  {
    std::lock_guard lock(mutex);
    // Bounded: past kMaxCached entries the expired ones go, and if that is
    // not enough, all of them (a flood of distinct domains).
    if (cache.size() >= kMaxCached) {
      const auto now = Clock::now();
      std::erase_if(cache, [&](const auto& entry) { return entry.second.second <= now; });
      if (cache.size() >= kMaxCached) cache.clear();
    }
    cache[key_of(job.question)] = {job.finding, Clock::now() + settings.cache_ttl};
  }
  for (auto& waiter : job.waiters) deliver(*waiter, job.finding);
  job_of_key.erase(key_of(job.question));
  jobs.erase(found);
}

std::unique_ptr<Diagnoser> Diagnoser::start(const DiagnoseSettings& settings, std::string& error) {
  auto loop = std::make_unique<Loop>();
  loop->settings = settings;
  auto policy = AddressPolicy::make(settings.allow_networks, error);
  if (!policy) return nullptr;
  loop->policy = std::move(*policy);
  DnsClient::Options dns_options;
  dns_options.servers = settings.resolvers;
  loop->dns = DnsClient::make(dns_options, error);
  if (!loop->dns) return nullptr;
  loop->tls = TlsContext::make({settings.ca_file, settings.ca_directory, settings.with_system_cas}, error);
  if (!loop->tls) return nullptr;
  if (::pipe2(loop->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    error = "diagnose: no pipe for the loop thread";
    return nullptr;
  }
  Loop* running = loop.get();
  loop->thread = std::thread([running] { running->run_or_fail(); });
  return std::unique_ptr<Diagnoser>(new Diagnoser(std::move(loop)));
}

Diagnoser::Diagnoser(std::unique_ptr<Loop> loop) : loop_(std::move(loop)) {}

Diagnoser::~Diagnoser() {
  {
    std::lock_guard lock(loop_->mutex);
    loop_->stopping = true;
  }
  (void)!::write(loop_->wake[1], "s", 1);
  loop_->thread.join();
  for (auto& asked : loop_->incoming) deliver(*asked.waiter, nothing("the diagnosis service stopped"));
}

Finding Diagnoser::diagnose(const Question& question, Clock::time_point deadline) {
  return std::move(diagnose(std::vector{question}, deadline).front());
}

std::vector<Finding> Diagnoser::diagnose(const std::vector<Question>& questions, Clock::time_point deadline) {
  std::vector<Finding> found(questions.size());
  std::vector<std::shared_ptr<Waiter>> waiting(questions.size());
  for (std::size_t i = 0; i < questions.size(); ++i) {
    const Question question = loop_->with_our_address(questions[i]);
    {
      std::lock_guard lock(loop_->mutex);
      ++loop_->counters.questions;
    }
    if (auto cached = loop_->cached_finding(key_of(question))) {
      found[i] = std::move(*cached);
    } else if (auto sent = loop_->send(question, deadline, found[i])) {
      waiting[i] = std::move(sent);
    }
  }
  (void)!::write(loop_->wake[1], "q", 1);  // once for all of them
  for (std::size_t i = 0; i < questions.size(); ++i)
    if (waiting[i]) found[i] = loop_->wait(*waiting[i], questions[i], deadline);
  std::lock_guard lock(loop_->mutex);
  for (const auto& finding : found) loop_->counters.refined += finding.learned() ? 1 : 0;
  return found;
}

// A question the cache did not answer, in the asker's thread: the MTA's
// route for it (postmap may take a while: not in the loop thread, which
// serves everybody), then to the loop. Null, with `finding` set, when
// nothing is to be looked at.
std::shared_ptr<Waiter> Diagnoser::Loop::send(const Question& question, Clock::time_point deadline, Finding& finding) {
  Route route;
  if (settings.routes && question.look == Question::Look::server) {
    route = settings.routes->route(question.domain, deadline);
    // Probing the MX instead could look at a server the MTA never used.
    if (route.kind == Route::Kind::unknown) {
      finding = nothing(question.domain + ": the MTA's route is unknown, nothing probed (" + route.why_unknown + ")");
      return nullptr;
    }
  }
  std::lock_guard lock(mutex);
  if (!failure.empty()) {
    finding = nothing("the diagnosis stopped: " + failure);
    return nullptr;
  }
  // Past the deadline (a report's later questions share its deadline) no
  // look starts that nobody would wait for.
  if (Clock::now() >= deadline) {
    ++counters.timed_out;
    finding = nothing(question.domain + ": no answer before the deadline");
    return nullptr;
  }
  auto waiter = std::make_shared<Waiter>();
  incoming.push_back(Asked{question, waiter, std::move(route)});
  return waiter;
}

Finding Diagnoser::Loop::wait(Waiter& waiter, const Question& question, Clock::time_point deadline) {
  {
    std::unique_lock lock(waiter.mutex);
    if (waiter.ready.wait_until(lock, deadline, [&] { return waiter.finding.has_value(); })) return *waiter.finding;
  }
  std::lock_guard counting(mutex);
  ++counters.timed_out;
  return nothing(question.domain + ": no answer before the deadline");
}

std::string Diagnoser::describe() const {
  const auto& s = loop_->settings;
  std::string text = s.routes ? "servers: where Postfix's routes send the mail"
                              : "servers: the domains' MX (no Postfix configuration read)";
  const bool named = !s.ca_file.empty() || !s.ca_directory.empty();
  text += named ? "; trust anchors: " + s.ca_file + (s.ca_directory.empty() ? "" : " " + s.ca_directory) +
                      (s.with_system_cas ? " and the system's" : "")
                : "; trust anchors: the system's";
  return text;
}

DiagnoseCounters Diagnoser::counters() const {
  std::lock_guard lock(loop_->mutex);
  return loop_->counters;
}

}  // namespace clearbounce::diagnose
