// An asynchronous DNS client on c-ares, for the probes of diagnose/: one
// client belongs to one thread (the probes' event loop), which asks it for
// the sockets to wait on and hands back the ones that are ready. Answers
// come from remote name servers: they are parsed within their length, and
// at most kMaxRecords records are taken from one.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "diagnose/address_policy.hpp"

namespace clearbounce::diagnose {

enum class RecordType : std::uint16_t { a = 1, mx = 15, txt = 16, aaaa = 28, tlsa = 52 };

// How a lookup ended. The cases a notice tells apart: the name does not
// exist, it exists without records of the type, its name servers failed or
// refused, or no answer came in time.
enum class DnsOutcome {
  answered,        // records of the type (possibly a null MX)
  no_such_name,    // NXDOMAIN
  no_records,      // NODATA: the name exists, without records of this type
  server_failure,  // SERVFAIL (a lame delegation, a broken DNSSEC chain, ...)
  refused,         // REFUSED, or the name servers could not be reached
  timed_out,       // no answer before the deadline or the client's tries ran out
  failed,          // a malformed answer, a bad name, out of memory
};
std::string_view to_string(DnsOutcome outcome);

struct MxRecord {
  std::uint16_t preference = 0;
  std::string host;  // empty: the root, as in a null MX
};

struct TlsaRecord {
  std::uint8_t usage = 0;
  std::uint8_t selector = 0;
  std::uint8_t matching_type = 0;
  std::vector<std::uint8_t> data;
};

struct DnsAnswer {
  DnsOutcome outcome = DnsOutcome::failed;
  std::vector<MxRecord> mx;          // RecordType::mx, by preference
  std::vector<IpAddress> addresses;  // RecordType::a, RecordType::aaaa
  std::vector<std::string> texts;    // RecordType::txt, one string per record
  std::vector<TlsaRecord> tlsa;      // RecordType::tlsa
  // The resolver says it validated the answer with DNSSEC (the AD bit):
  // asked for TLSA lookups, which DANE uses only when validated. As with
  // Postfix, the resolver is trusted to say so (a local validating one).
  bool authenticated = false;

  // RFC 7505: one MX record, preference 0, exchange "." (the domain says it
  // takes no mail).
  bool null_mx() const { return mx.size() == 1 && mx.front().preference == 0 && mx.front().host.empty(); }
};

inline constexpr std::size_t kMaxRecords = 32;

class DnsClient {
 public:
  struct Options {
    // "address" or "address:port" of the name servers to ask, in order
    // (diagnose.resolvers); empty: those of /etc/resolv.conf.
    std::vector<std::string> servers;
    std::chrono::milliseconds try_timeout{1500};  // per try and server
    int tries = 2;
  };
  using Callback = std::function<void(const DnsAnswer&)>;

  // Null, with the reason in `error`, when c-ares cannot be set up or a
  // server is not an address.
  static std::unique_ptr<DnsClient> make(const Options& options, std::string& error);
  ~DnsClient();
  DnsClient(const DnsClient&) = delete;
  DnsClient& operator=(const DnsClient&) = delete;

  // Starts a lookup; `done` is called exactly once, from process(),
  // cancel_all() or the destructor (then with timed_out). A TLSA query asks
  // the resolver whether it validated the answer (RFC 6840 5.7: the AD bit).
  void query(std::string_view name, RecordType type, Callback done);

  // The event loop's side: the sockets to wait on, how long to wait at
  // most, and the sockets found ready (timeouts are handled too).
  std::vector<pollfd> sockets() const;
  std::chrono::milliseconds wait_at_most(std::chrono::milliseconds limit) const;
  void process(const std::vector<pollfd>& polled);
  bool idle() const { return pending_ == 0; }

  // Ends every lookup still open; their callbacks get timed_out.
  void cancel_all();

  // For callers without an event loop of their own (tests, the CLI): runs
  // until every lookup has ended or `deadline` has passed, then cancels
  // what is left.
  void run_until(std::chrono::steady_clock::time_point deadline);

 private:
  struct Channel;
  struct Pending;
  explicit DnsClient(std::unique_ptr<Channel> channel);
  static void on_answer(void* arg, int status, int timeouts, unsigned char* answer, int length);

  std::unique_ptr<Channel> channel_;
  std::size_t pending_ = 0;
};

// Reads the records of `type` from a DNS answer (the whole message, as
// received). Exposed for the tests and the fuzz target.
DnsAnswer parse_answer(RecordType type, const unsigned char* message, int length);

}  // namespace clearbounce::diagnose
