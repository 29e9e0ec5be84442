#include "diagnose/dns.hpp"

#include <ares.h>
#include <arpa/nameser.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

namespace clearbounce::diagnose {

// The c-ares channel, destroyed with the client. ares_destroy() calls every
// open query's callback (ARES_EDESTRUCTION), so no Pending outlives it.
struct DnsClient::Channel {
  ares_channel handle = nullptr;
  ~Channel() {
    if (handle != nullptr) ares_destroy(handle);
  }
};

// What one open lookup needs when its answer comes.
struct DnsClient::Pending {
  DnsClient* client;
  RecordType type;
  Callback done;
  bool sent_as_is;  // by ares_send(): the answer's RCODE is ours to read
};

namespace {

// c-ares' global state, set up once for the process (ares_library_init is
// not thread-safe; its cleanup is left to the process's end).
bool library_ready() {
  static const bool ready = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS;
  return ready;
}

DnsOutcome outcome_of(int status) {
  switch (status) {
    case ARES_SUCCESS: return DnsOutcome::answered;
    case ARES_ENOTFOUND: return DnsOutcome::no_such_name;
    case ARES_ENODATA: return DnsOutcome::no_records;
    case ARES_ESERVFAIL: return DnsOutcome::server_failure;
    case ARES_EREFUSED:
    case ARES_ECONNREFUSED: return DnsOutcome::refused;
    case ARES_ETIMEOUT:
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION: return DnsOutcome::timed_out;
    default: return DnsOutcome::failed;
  }
}

// A big-endian 16-bit field; the caller has checked the bounds.
std::uint16_t read16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// Past one encoded name at `at` (compressed or not), within the message; 0
// when it does not fit.
long skip_name(const unsigned char* message, int length, long at) {
  char* name = nullptr;
  long encoded = 0;
  if (ares_expand_name(message + at, message, length, &name, &encoded) != ARES_SUCCESS) return 0;
  ares_free_string(name);
  return at + encoded;
}

// TLSA has no parser in c-ares 1.18: the answer section is walked here,
// each record checked against the message's length before it is read.
DnsAnswer parse_tlsa(const unsigned char* message, int length) {
  DnsAnswer answer;
  if (length < HFIXEDSZ) return answer;
  const int questions = read16(message + 4);
  const int records = read16(message + 6);
  long at = HFIXEDSZ;
  for (int i = 0; i < questions; ++i) {
    at = skip_name(message, length, at);
    if (at == 0 || at + QFIXEDSZ > length) return answer;
    at += QFIXEDSZ;
  }
  for (int i = 0; i < records && answer.tlsa.size() < kMaxRecords; ++i) {
    at = skip_name(message, length, at);
    if (at == 0 || at + RRFIXEDSZ > length) return answer;
    const int type = read16(message + at);
    const int data_length = read16(message + at + 8);
    at += RRFIXEDSZ;
    if (at + data_length > length) return answer;
    if (type == ns_t_tlsa && data_length >= 3) {
      const unsigned char* data = message + at;
      answer.tlsa.push_back(TlsaRecord{data[0], data[1], data[2], {data + 3, data + data_length}});
    }
    at += data_length;
  }
  answer.outcome = answer.tlsa.empty() ? DnsOutcome::no_records : DnsOutcome::answered;
  return answer;
}

DnsAnswer parse_mx(const unsigned char* message, int length) {
  DnsAnswer answer;
  ares_mx_reply* replies = nullptr;
  const int status = ares_parse_mx_reply(message, length, &replies);
  answer.outcome = outcome_of(status);
  for (const ares_mx_reply* r = replies; r != nullptr && answer.mx.size() < kMaxRecords; r = r->next)
    answer.mx.push_back(MxRecord{r->priority, r->host != nullptr ? r->host : ""});
  if (replies != nullptr) ares_free_data(replies);
  std::stable_sort(answer.mx.begin(), answer.mx.end(),
                   [](const MxRecord& a, const MxRecord& b) { return a.preference < b.preference; });
  // The root's name, written "." or as nothing at all.
  for (auto& mx : answer.mx)
    if (mx.host == ".") mx.host.clear();
  return answer;
}

DnsAnswer parse_addresses(RecordType type, const unsigned char* message, int length) {
  DnsAnswer answer;
  int count = static_cast<int>(kMaxRecords);
  int status = ARES_SUCCESS;
  if (type == RecordType::a) {
    std::array<ares_addrttl, kMaxRecords> found{};
    status = ares_parse_a_reply(message, length, nullptr, found.data(), &count);
    for (int i = 0; status == ARES_SUCCESS && i < count; ++i) {
      std::array<std::uint8_t, 4> bytes{};
      std::memcpy(bytes.data(), &found[static_cast<std::size_t>(i)].ipaddr, 4);
      answer.addresses.push_back(IpAddress::from_v4(bytes));
    }
  } else {
    std::array<ares_addr6ttl, kMaxRecords> found{};
    status = ares_parse_aaaa_reply(message, length, nullptr, found.data(), &count);
    for (int i = 0; status == ARES_SUCCESS && i < count; ++i) {
      std::array<std::uint8_t, 16> bytes{};
      std::memcpy(bytes.data(), &found[static_cast<std::size_t>(i)].ip6addr, 16);
      answer.addresses.push_back(IpAddress::from_v6(bytes));
    }
  }
  answer.outcome = outcome_of(status);
  if (answer.outcome == DnsOutcome::answered && answer.addresses.empty()) answer.outcome = DnsOutcome::no_records;
  return answer;
}

DnsAnswer parse_texts(const unsigned char* message, int length) {
  DnsAnswer answer;
  ares_txt_ext* replies = nullptr;
  const int status = ares_parse_txt_reply_ext(message, length, &replies);
  answer.outcome = outcome_of(status);
  for (const ares_txt_ext* r = replies; r != nullptr; r = r->next) {
    const std::string_view piece(reinterpret_cast<const char*>(r->txt), r->length);
    if (r->record_start != 0) {
      if (answer.texts.size() == kMaxRecords) break;
      answer.texts.emplace_back();
    }
    if (!answer.texts.empty()) answer.texts.back() += piece;
  }
  if (replies != nullptr) ares_free_data(replies);
  return answer;
}

}  // namespace

std::string_view to_string(DnsOutcome outcome) {
  switch (outcome) {
    case DnsOutcome::answered: return "answered";
    case DnsOutcome::no_such_name: return "no such name";
    case DnsOutcome::no_records: return "no records";
    case DnsOutcome::server_failure: return "server failure";
    case DnsOutcome::refused: return "refused";
    case DnsOutcome::timed_out: return "timed out";
    case DnsOutcome::failed: return "failed";
  }
  return "failed";
}

namespace {

// What an answer's RCODE says, for a query sent with ares_send(), which
// (unlike ares_query()) hands every answer over as a success.
std::optional<DnsOutcome> failure_in(const unsigned char* message, int length) {
  if (length < HFIXEDSZ) return DnsOutcome::failed;
  switch (message[3] & 0x0F) {
    case 0: return std::nullopt;  // NOERROR: the records, or none
    case 2: return DnsOutcome::server_failure;
    case 3: return DnsOutcome::no_such_name;
    case 5: return DnsOutcome::refused;
    default: return DnsOutcome::failed;
  }
}

DnsAnswer parse_records(RecordType type, const unsigned char* message, int length) {
  switch (type) {
    case RecordType::mx: return parse_mx(message, length);
    case RecordType::a:
    case RecordType::aaaa: return parse_addresses(type, message, length);
    case RecordType::txt: return parse_texts(message, length);
    case RecordType::tlsa: return parse_tlsa(message, length);
  }
  return DnsAnswer{};
}

}  // namespace

DnsAnswer parse_answer(RecordType type, const unsigned char* message, int length) {
  DnsAnswer answer = parse_records(type, message, length);
  answer.authenticated = length >= HFIXEDSZ && (message[3] & 0x20) != 0;  // AD
  return answer;
}

std::unique_ptr<DnsClient> DnsClient::make(const Options& options, std::string& error) {
  if (!library_ready()) {
    error = "c-ares could not be initialised";
    return nullptr;
  }
  ares_options settings{};
  settings.timeout = static_cast<int>(options.try_timeout.count());
  settings.tries = std::max(1, options.tries);
  // A SERVFAIL or REFUSED answer is the finding itself: c-ares is not to
  // treat it as a broken server and hide it behind its own error.
  settings.flags = ARES_FLAG_NOCHECKRESP;
  auto channel = std::make_unique<Channel>();
  const int status =
      ares_init_options(&channel->handle, &settings, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS);
  if (status != ARES_SUCCESS) {
    error = std::string("c-ares: ") + ares_strerror(status);
    return nullptr;
  }
  if (!options.servers.empty()) {
    std::string list;
    for (const auto& server : options.servers) list += (list.empty() ? "" : ",") + server;
    if (const int set = ares_set_servers_ports_csv(channel->handle, list.c_str()); set != ARES_SUCCESS) {
      error = "diagnose.resolvers: \"" + list + "\": " + ares_strerror(set);
      return nullptr;
    }
  }
  return std::unique_ptr<DnsClient>(new DnsClient(std::move(channel)));
}

DnsClient::DnsClient(std::unique_ptr<Channel> channel) : channel_(std::move(channel)) {}

DnsClient::~DnsClient() { channel_.reset(); }  // before pending_: the callbacks count it down

void DnsClient::on_answer(void* arg, int status, int, unsigned char* message, int length) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
  --pending->client->pending_;
  DnsAnswer answer;
  const auto failure = status == ARES_SUCCESS && pending->sent_as_is ? failure_in(message, length) : std::nullopt;
  if (status != ARES_SUCCESS) {
    answer.outcome = outcome_of(status);
  } else if (failure) {
    answer.outcome = *failure;
  } else {
    answer = parse_answer(pending->type, message, length);
  }
  pending->done(answer);
}

void DnsClient::query(std::string_view name, RecordType type, Callback done) {
  auto pending = std::make_unique<Pending>(Pending{this, type, std::move(done), false});
  ++pending_;
  const std::string terminated(name);
  if (type == RecordType::tlsa) {
    // c-ares sets no AD bit in its queries: the query is made here.
    unsigned char* message = nullptr;
    int length = 0;
    if (ares_create_query(terminated.c_str(), ns_c_in, static_cast<int>(type), 0, 1, &message, &length, 0) ==
        ARES_SUCCESS) {
      message[3] |= 0x20;  // AD
      pending->sent_as_is = true;
      ares_send(channel_->handle, message, length, &DnsClient::on_answer, pending.release());
      ares_free_string(message);
      return;
    }
  }
  ares_query(channel_->handle, terminated.c_str(), ns_c_in, static_cast<int>(type), &DnsClient::on_answer,
             pending.release());  // owned by the channel until on_answer
}

std::vector<pollfd> DnsClient::sockets() const {
  std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> fds{};
  const int bits = ares_getsock(channel_->handle, fds.data(), ARES_GETSOCK_MAXNUM);
  std::vector<pollfd> wanted;
  for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
    short events = 0;
    if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
    if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
    if (events != 0) wanted.push_back(pollfd{fds[static_cast<std::size_t>(i)], events, 0});
  }
  return wanted;
}

std::chrono::milliseconds DnsClient::wait_at_most(std::chrono::milliseconds limit) const {
  timeval most{static_cast<time_t>(limit.count() / 1000), static_cast<suseconds_t>(limit.count() % 1000 * 1000)};
  timeval wait{};
  const timeval* chosen = ares_timeout(channel_->handle, &most, &wait);
  return std::chrono::milliseconds(chosen->tv_sec * 1000 + (chosen->tv_usec + 999) / 1000);
}

void DnsClient::process(const std::vector<pollfd>& polled) {
  for (const auto& p : polled) {
    const bool readable = (p.revents & (POLLIN | POLLERR | POLLHUP)) != 0;
    const bool writable = (p.revents & POLLOUT) != 0;
    if (readable || writable)
      ares_process_fd(channel_->handle, readable ? p.fd : ARES_SOCKET_BAD, writable ? p.fd : ARES_SOCKET_BAD);
  }
  ares_process_fd(channel_->handle, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // the lookups whose time ran out
}

void DnsClient::cancel_all() { ares_cancel(channel_->handle); }

void DnsClient::run_until(std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  while (!idle()) {
    const auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left <= milliseconds(0)) break;
    auto polled = sockets();
    const auto wait = wait_at_most(left);
    ::poll(polled.data(), polled.size(), static_cast<int>(wait.count()));
    process(polled);
  }
  if (!idle()) cancel_all();
}

}  // namespace clearbounce::diagnose
