#include "diagnose/smtp_probe.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace clearbounce::diagnose {
namespace {

constexpr std::size_t kMaxVerifyErrors = 8;
constexpr std::size_t kMaxNames = 32;

SSL_CTX* as_context(void* native) { return static_cast<SSL_CTX*>(native); }

// Where an SSL object keeps its probe's TlsFacts, for the verify callback.
int facts_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Records every verification error and lets the handshake go on: what is
// wrong with the certificate is the finding, not a reason to stop looking.
int note_verify_error(int ok, X509_STORE_CTX* store) {
  if (ok == 0) {
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* facts = ssl != nullptr ? static_cast<TlsFacts*>(SSL_get_ex_data(ssl, facts_index())) : nullptr;
    const int error = X509_STORE_CTX_get_error(store);
    if (facts != nullptr && facts->verify_errors.size() < kMaxVerifyErrors &&
        std::find(facts->verify_errors.begin(), facts->verify_errors.end(), error) == facts->verify_errors.end())
      facts->verify_errors.push_back(error);
  }
  return 1;
}

std::int64_t seconds_of(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&parts));
}

std::string name_entry(const X509_NAME* name, int nid) {
  const int at = X509_NAME_get_index_by_NID(name, nid, -1);
  if (at < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return {};
  std::string text(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return text;
}

std::vector<std::string> dns_names(X509* certificate) {
  std::vector<std::string> names;
  auto* general = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (general == nullptr) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(general) && names.size() < kMaxNames; ++i) {
    const GENERAL_NAME* entry = sk_GENERAL_NAME_value(general, i);
    if (entry->type != GEN_DNS) continue;
    const ASN1_STRING* text = entry->d.dNSName;
    names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                       static_cast<std::size_t>(ASN1_STRING_length(text)));
  }
  GENERAL_NAMES_free(general);
  return names;
}

CertificateFacts facts_of(X509* certificate) {
  CertificateFacts facts;
  facts.subject = name_entry(X509_get_subject_name(certificate), NID_commonName);
  facts.names = dns_names(certificate);
  const X509_NAME* issuer = X509_get_issuer_name(certificate);
  facts.issuer = name_entry(issuer, NID_commonName);
  if (facts.issuer.empty()) facts.issuer = name_entry(issuer, NID_organizationName);
  facts.not_before = seconds_of(X509_get0_notBefore(certificate));
  facts.not_after = seconds_of(X509_get0_notAfter(certificate));
  return facts;
}

std::string openssl_failure() {
  std::string text;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    const char* reason = ERR_reason_error_string(code);
    text = reason != nullptr ? reason : buffer.data();  // the last is the closest to the cause
  }
  return text;
}

}  // namespace

std::string_view to_string(ProbeOutcome outcome) {
  switch (outcome) {
    case ProbeOutcome::refused: return "connection refused";
    case ProbeOutcome::unreachable: return "unreachable";
    case ProbeOutcome::connect_timed_out: return "connection timed out";
    case ProbeOutcome::no_greeting: return "no greeting";
    case ProbeOutcome::greeting_refused: return "greeting refused";
    case ProbeOutcome::garbled: return "not SMTP";
    case ProbeOutcome::ehlo_refused: return "EHLO refused";
    case ProbeOutcome::no_starttls: return "no STARTTLS";
    case ProbeOutcome::starttls_refused: return "STARTTLS refused";
    case ProbeOutcome::handshake_failed: return "TLS handshake failed";
    case ProbeOutcome::certificate_not_verified: return "certificate not verified";
    case ProbeOutcome::verified: return "verified";
    case ProbeOutcome::timed_out: return "timed out";
  }
  return "timed out";
}

std::shared_ptr<const TlsContext> TlsContext::make(const Anchors& anchors, std::string& error) {
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  if (context == nullptr) {
    error = "OpenSSL: no TLS context: " + openssl_failure();
    return nullptr;
  }
  const bool named = !anchors.file.empty() || !anchors.directory.empty();
  const auto or_null = [](const std::string& text) { return text.empty() ? nullptr : text.c_str(); };
  const bool loaded =
      (!named || SSL_CTX_load_verify_locations(context, or_null(anchors.file), or_null(anchors.directory)) == 1) &&
      ((named && !anchors.with_system_defaults) || SSL_CTX_set_default_verify_paths(context) == 1);
  if (!loaded) {
    error = "trust anchors \"" + anchors.file + "\" \"" + anchors.directory + "\" could not be read: " + openssl_failure();
    SSL_CTX_free(context);
    return nullptr;
  }
  SSL_CTX_set_verify(context, SSL_VERIFY_NONE, note_verify_error);
  if (SSL_CTX_dane_enable(context) <= 0) {  // for the probes whose target has TLSA records
    error = "OpenSSL: no DANE support: " + openssl_failure();
    SSL_CTX_free(context);
    return nullptr;
  }
  return std::shared_ptr<const TlsContext>(new TlsContext(context));
}

TlsContext::~TlsContext() { SSL_CTX_free(as_context(context_)); }

struct SmtpProbe::Tls {
  SSL* ssl = nullptr;
  ~Tls() {
    if (ssl != nullptr) SSL_free(ssl);
  }
};

SmtpProbe::SmtpProbe(ProbeTarget target, std::string helo_name, std::shared_ptr<const TlsContext> tls)
    : target_(std::move(target)), helo_name_(std::move(helo_name)), tls_context_(std::move(tls)) {}

SmtpProbe::~SmtpProbe() {
  tls_.reset();
  if (socket_ >= 0) ::close(socket_);
}

void SmtpProbe::start() {
  const bool v4 = target_.address.is_v4();
  socket_ = ::socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (socket_ < 0) {
    result_.error = std::strerror(errno);
    return finish(ProbeOutcome::unreachable);
  }
  sockaddr_storage address{};
  socklen_t length = 0;
  const auto& bytes = target_.address.bytes();
  if (v4) {
    auto* in = reinterpret_cast<sockaddr_in*>(&address);
    in->sin_family = AF_INET;
    in->sin_port = htons(target_.port);
    std::memcpy(&in->sin_addr, bytes.data() + 12, 4);
    length = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(target_.port);
    std::memcpy(&in6->sin6_addr, bytes.data(), 16);
    length = sizeof(sockaddr_in6);
  }
  step_ = Step::connecting;
  if (::connect(socket_, reinterpret_cast<sockaddr*>(&address), length) == 0) return connected();
  if (errno == EINPROGRESS) return;
  result_.error = std::strerror(errno);
  finish(errno == ECONNREFUSED ? ProbeOutcome::refused : ProbeOutcome::unreachable);
}

pollfd SmtpProbe::want() const {
  short events = POLLIN;
  if (step_ == Step::connecting || !outgoing_.empty()) events = POLLOUT;
  if (step_ == Step::handshake && tls_ && tls_->ssl != nullptr) {
    const int pending = SSL_want(tls_->ssl);
    events = pending == SSL_WRITING ? POLLOUT : POLLIN;
  }
  return pollfd{socket_, events, 0};
}

void SmtpProbe::on_ready(short revents) {
  if (done() || revents == 0) return;
  if (step_ == Step::connecting) {
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(socket_, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      result_.error = std::strerror(error);
      return finish(error == ECONNREFUSED ? ProbeOutcome::refused : ProbeOutcome::unreachable);
    }
    return connected();
  }
  if (step_ == Step::handshake) return handshake();
  if (!outgoing_.empty()) return flush();
  read_replies();
}

void SmtpProbe::connected() { step_ = Step::greeting; }

void SmtpProbe::read_replies() {
  std::array<char, 4096> buffer{};
  const auto got = ::recv(socket_, buffer.data(), buffer.size(), 0);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (got <= 0) {
    result_.error = got < 0 ? std::strerror(errno) : "the server closed the connection";
    return finish(step_ == Step::greeting ? ProbeOutcome::no_greeting : ProbeOutcome::garbled);
  }
  auto status = reader_.feed(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
  if (status == SmtpReplyReader::Status::malformed) return finish(ProbeOutcome::garbled);
  if (status == SmtpReplyReader::Status::complete) on_reply(reader_.take());
}

void SmtpProbe::on_reply(SmtpReply reply) {
  const int code = reply.code;
  result_.reply = std::move(reply);
  switch (step_) {
    case Step::greeting:
      if (code != 220) return finish(ProbeOutcome::greeting_refused);
      step_ = Step::ehlo;
      return send("EHLO " + helo_name_ + "\r\n");
    case Step::ehlo:
      if (code != 250) return finish(ProbeOutcome::ehlo_refused);
      if (!result_.reply.offers("STARTTLS")) return finish(ProbeOutcome::no_starttls);
      step_ = Step::starttls;
      return send("STARTTLS\r\n");
    case Step::starttls:
      if (code != 220) return finish(ProbeOutcome::starttls_refused);
      step_ = Step::handshake;
      return handshake();
    default: return;
  }
}

void SmtpProbe::send(std::string_view command) {
  outgoing_ += command;
  flush();
}

void SmtpProbe::flush() {
  while (!outgoing_.empty()) {
    const auto sent = ::send(socket_, outgoing_.data(), outgoing_.size(), MSG_NOSIGNAL);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (sent <= 0) {
      result_.error = std::strerror(errno);
      return finish(ProbeOutcome::garbled);
    }
    outgoing_.erase(0, static_cast<std::size_t>(sent));
  }
}

void SmtpProbe::handshake() {
  if (!tls_) {
    tls_ = std::make_unique<Tls>();
    tls_->ssl = SSL_new(as_context(tls_context_->native()));
    const bool named = !target_.host.empty();  // a probe of a bare address sends no SNI
    const std::vector<std::string> wanted = target_.names.empty() && named ? std::vector{target_.host} : target_.names;
    if (tls_->ssl == nullptr || SSL_set_fd(tls_->ssl, socket_) != 1 ||
        (named && SSL_set_tlsext_host_name(tls_->ssl, target_.host.c_str()) != 1) || !use_tlsa_records() ||
        (!wanted.empty() && SSL_add1_host(tls_->ssl, wanted.front().c_str()) != 1)) {
      result_.tls.failure = openssl_failure();
      return finish(ProbeOutcome::handshake_failed);
    }
    for (std::size_t i = 1; i < wanted.size(); ++i) SSL_add1_host(tls_->ssl, wanted[i].c_str());
    SSL_set_ex_data(tls_->ssl, facts_index(), &result_.tls);
    SSL_set_connect_state(tls_->ssl);
  }
  ERR_clear_error();
  const int status = SSL_do_handshake(tls_->ssl);
  if (status != 1) {
    const int why = SSL_get_error(tls_->ssl, status);
    if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) return;
    result_.tls.failure = openssl_failure();
    if (result_.tls.failure.empty()) result_.tls.failure = "the server closed the connection during the handshake";
    return finish(ProbeOutcome::handshake_failed);
  }
  result_.tls.protocol = SSL_get_version(tls_->ssl);
  result_.tls.cipher = SSL_get_cipher_name(tls_->ssl);
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(tls_->ssl)) result_.tls.chain_length = sk_X509_num(chain);
  if (X509* leaf = SSL_get0_peer_certificate(tls_->ssl)) result_.tls.certificate = facts_of(leaf);
  const bool verified = SSL_get_verify_result(tls_->ssl) == X509_V_OK && result_.tls.certificate.has_value();
  finish(verified ? ProbeOutcome::verified : ProbeOutcome::certificate_not_verified);
}

// With TLSA records the certificate is checked against them (RFC 7672), as
// Postfix's dane level does: a DANE-EE record's match stands for the
// certificate whatever its names and dates, a DANE-TA record's is a trust
// anchor for the chain. False when OpenSSL refuses the set-up.
bool SmtpProbe::use_tlsa_records() {
  if (target_.tlsa.empty()) return true;
  if (SSL_dane_enable(tls_->ssl, target_.host.c_str()) <= 0) return false;
  SSL_dane_set_flags(tls_->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
  int usable = 0;
  for (const auto& r : target_.tlsa)
    usable += SSL_dane_tlsa_add(tls_->ssl, r.usage, r.selector, r.matching_type, r.data.data(), r.data.size()) > 0;
  return usable > 0;
}

void SmtpProbe::give_up() {
  if (done()) return;
  if (step_ == Step::connecting) return finish(ProbeOutcome::connect_timed_out);
  if (step_ == Step::greeting) return finish(ProbeOutcome::no_greeting);
  finish(ProbeOutcome::timed_out);
}

void SmtpProbe::finish(ProbeOutcome outcome) {
  result_.outcome = outcome;
  close_politely();
  step_ = Step::done;
}

// QUIT, sent once without waiting for the answer: the probe has said who it
// is (EHLO) and now leaves; after a TLS handshake, inside TLS.
void SmtpProbe::close_politely() {
  if (socket_ < 0) return;
  // Mid-handshake nothing can be said: neither TLS nor plain text is the line's.
  const bool spoke = step_ == Step::ehlo || step_ == Step::starttls || (step_ == Step::greeting && result_.reply.code != 0);
  constexpr std::string_view kQuit = "QUIT\r\n";
  if (tls_ && tls_->ssl != nullptr && SSL_is_init_finished(tls_->ssl)) {
    SSL_write(tls_->ssl, kQuit.data(), static_cast<int>(kQuit.size()));
    SSL_shutdown(tls_->ssl);
  } else if (spoke) {
    (void)::send(socket_, kQuit.data(), kQuit.size(), MSG_NOSIGNAL);
  }
  tls_.reset();
  ::close(socket_);
  socket_ = -1;
}

ProbeResult probe_now(const ProbeTarget& target, const std::string& helo_name,
                      std::shared_ptr<const TlsContext> tls, std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  SmtpProbe probe(target, helo_name, std::move(tls));
  probe.start();
  while (!probe.done()) {
    const auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left <= milliseconds(0)) {
      probe.give_up();
      break;
    }
    pollfd wanted = probe.want();
    const int ready = ::poll(&wanted, 1, static_cast<int>(left.count()) + 1);
    if (ready > 0) probe.on_ready(wanted.revents);
  }
  return probe.result();
}

}  // namespace clearbounce::diagnose
