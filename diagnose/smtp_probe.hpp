// One look at a receiving SMTP server: connect, read the greeting, EHLO,
// STARTTLS if offered, the TLS handshake, QUIT. Never MAIL FROM. The probe
// is a state machine for an event loop (non-blocking socket, non-blocking
// OpenSSL): the loop waits on want() and calls on_ready(), or give_up()
// when the deadline has passed. The certificate is verified the way
// Postfix's "verify"/"secure" levels do (trust store or CA file, the MX
// host's name), but the handshake goes on when verification fails, so that
// what is wrong with the certificate can be told. OpenSSL writes to the
// socket with write(): a program using probes ignores SIGPIPE (the milter
// does), or a server that closes first ends it.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "diagnose/address_policy.hpp"
#include "diagnose/dns.hpp"
#include "diagnose/smtp_reply.hpp"

namespace clearbounce::diagnose {

enum class ProbeOutcome {
  refused,                   // the connection was refused
  unreachable,               // no route, network down, ...
  connect_timed_out,         // no answer to the connection
  no_greeting,               // connected, but no greeting came (or the line closed)
  greeting_refused,          // a 4xx/5xx greeting
  garbled,                   // the server does not speak SMTP
  ehlo_refused,              // EHLO got no 250
  no_starttls,               // EHLO does not offer STARTTLS
  starttls_refused,          // STARTTLS got no 220
  handshake_failed,          // no TLS: protocol, cipher, an alert, ...
  certificate_not_verified,  // TLS, but the certificate does not verify
  verified,                  // TLS with a certificate that verifies
  timed_out,                 // the deadline passed after the greeting
};
std::string_view to_string(ProbeOutcome outcome);

struct CertificateFacts {
  std::string subject;             // the subject's common name
  std::vector<std::string> names;  // the DNS names of subjectAltName (at most 32)
  std::string issuer;              // the issuer's common name, else its organisation
  std::int64_t not_before = 0;     // seconds since the epoch (UTC)
  std::int64_t not_after = 0;
};

struct TlsFacts {
  std::string protocol;          // "TLSv1.3"
  std::string cipher;            // "TLS_AES_256_GCM_SHA384"
  std::string failure;           // why the handshake failed, in OpenSSL's words
  int chain_length = 0;          // certificates the server sent
  std::vector<int> verify_errors;  // X509_V_ERR_* in the order found (at most 8)
  std::optional<CertificateFacts> certificate;  // the server's own
};

struct ProbeResult {
  ProbeOutcome outcome = ProbeOutcome::timed_out;
  SmtpReply reply;     // the reply that decided (greeting, EHLO, STARTTLS): the server's text
  std::string error;   // the system's words for a failed connection
  TlsFacts tls;
};

struct ProbeTarget {
  IpAddress address;
  std::uint16_t port = 25;
  std::string host;                // the MX host: SNI, and the name the certificate must hold
  // The names the certificate must hold instead, any one of them (Postfix's
  // match=; ".example.org": any subdomain); empty: `host`.
  std::vector<std::string> names;
  // The host's DNSSEC-validated TLSA records when the MTA uses DANE: the
  // certificate is then checked against them, not the trust store.
  std::vector<TlsaRecord> tlsa;
};

// The TLS settings every probe shares: the trust store (the system's, or
// `ca_file`), made once.
class TlsContext {
 public:
  struct Anchors {
    std::string file;       // PEM certificates
    std::string directory;  // a hashed directory (c_rehash)
    bool with_system_defaults = false;
  };
  // Both empty: the system's trust store alone.
  static std::shared_ptr<const TlsContext> make(const Anchors& anchors, std::string& error);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  void* native() const { return context_; }  // SSL_CTX*

 private:
  explicit TlsContext(void* context) : context_(context) {}
  void* context_;
};

class SmtpProbe {
 public:
  SmtpProbe(ProbeTarget target, std::string helo_name, std::shared_ptr<const TlsContext> tls);
  ~SmtpProbe();
  SmtpProbe(const SmtpProbe&) = delete;
  SmtpProbe& operator=(const SmtpProbe&) = delete;

  void start();  // may end at once (a refused connection)
  bool done() const { return step_ == Step::done; }
  pollfd want() const;
  void on_ready(short revents);
  void give_up();  // the deadline passed
  const ProbeResult& result() const { return result_; }

 private:
  enum class Step { idle, connecting, greeting, ehlo, starttls, handshake, done };
  struct Tls;

  void finish(ProbeOutcome outcome);
  void connected();
  void read_replies();
  void on_reply(SmtpReply reply);
  void send(std::string_view command);
  void flush();
  void handshake();
  bool use_tlsa_records();
  void close_politely();

  ProbeTarget target_;
  std::string helo_name_;
  std::shared_ptr<const TlsContext> tls_context_;
  std::unique_ptr<Tls> tls_;
  int socket_ = -1;
  Step step_ = Step::idle;
  std::string outgoing_;
  SmtpReplyReader reader_;
  ProbeResult result_;
};

// For callers without an event loop (tests, the CLI): one probe, run until
// it ends or `deadline` passes.
ProbeResult probe_now(const ProbeTarget& target, const std::string& helo_name,
                      std::shared_ptr<const TlsContext> tls, std::chrono::steady_clock::time_point deadline);

}  // namespace clearbounce::diagnose
