#include "tests/diagnose/test_tls.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <stdexcept>

namespace clearbounce::testing {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificates: ") + what);
}

Key new_key() {
  Key key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EC key");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  check(extension != nullptr, "extension");
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

// A certificate for `key` named `name`, signed by `issuer_key` (its own
// when `issuer` is null).
Cert make_certificate(const std::string& name, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, long not_before,
                      long not_after, bool authority) {
  Cert cert(X509_new());
  static long serial = 1;
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : subject);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (authority) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "CA:FALSE");
    add_extension(cert.get(), signer, NID_subject_alt_name, "DNS:" + name);
  }
  check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "signature");
  return cert;
}

void write_pem(const std::string& file, const std::vector<X509*>& certs, EVP_PKEY* key) {
  std::unique_ptr<std::FILE, FileClose> out(std::fopen(file.c_str(), "w"));
  check(out != nullptr, "file");
  for (X509* cert : certs) PEM_write_X509(out.get(), cert);
  if (key != nullptr) PEM_write_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
}

int listening_socket(int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  check(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 && ::listen(fd, 8) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0,
        "listening socket");
  port = ntohs(address.sin_port);
  return fd;
}

}  // namespace

struct TestPki::Authority {
  Key key;
  Cert cert;
};

TestPki::TestPki(std::string directory) : directory_(std::move(directory)) {
  const auto authority = [](const std::string& name, const Authority* parent) {
    auto made = std::make_unique<Authority>();
    made->key = new_key();
    made->cert = make_certificate(name, made->key.get(), parent ? parent->cert.get() : nullptr,
                                  parent ? parent->key.get() : made->key.get(), -86400, 86400 * 30, true);
    return made;
  };
  root_ = authority("clearbounce test root", nullptr);
  intermediate_ = authority("clearbounce test intermediate", root_.get());
  stranger_ = authority("an authority nobody trusts", nullptr);
  ca_file_ = directory_ + "/ca.pem";
  write_pem(ca_file_, {root_->cert.get()}, nullptr);
}

TestPki::~TestPki() = default;

Issued TestPki::issue(const std::string& file_name, const Leaf& leaf) {
  Key key = new_key();
  const Authority* signer = leaf.unknown_ca ? stranger_.get() : leaf.via_intermediate ? intermediate_.get() : root_.get();
  Cert cert = leaf.self_signed
                  ? make_certificate(leaf.name, key.get(), nullptr, key.get(), leaf.not_before, leaf.not_after, false)
                  : make_certificate(leaf.name, key.get(), signer->cert.get(), signer->key.get(), leaf.not_before,
                                     leaf.not_after, false);
  std::vector<X509*> chain = {cert.get()};
  if (leaf.via_intermediate && leaf.send_intermediate) chain.push_back(intermediate_->cert.get());
  Issued issued{directory_ + "/" + file_name + ".pem", directory_ + "/" + file_name + ".key"};
  write_pem(issued.certificate_file, chain, nullptr);
  write_pem(issued.key_file, {}, key.get());
  return issued;
}

SmtpPeer::SmtpPeer(Settings settings) : settings_(std::move(settings)) {
  listener_ = listening_socket(port_);
  check(::pipe2(stop_pipe_, O_CLOEXEC) == 0, "pipe");
  thread_ = std::thread([this] { serve(); });
}

SmtpPeer::~SmtpPeer() {
  const char stop = 's';
  (void)!::write(stop_pipe_[1], &stop, 1);
  thread_.join();
  for (int fd : {listener_, stop_pipe_[0], stop_pipe_[1]}) ::close(fd);
}

std::vector<std::string> SmtpPeer::commands() const {
  std::lock_guard lock(commands_lock_);
  return commands_;
}

void SmtpPeer::serve() {
  for (;;) {
    std::array<pollfd, 2> fds{{{listener_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), -1) < 0 || fds[1].revents != 0) return;
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    ++connections_;
    timeval limit{5, 0};  // a session never blocks the tests for longer
    ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    session(connection);
    ::close(connection);
  }
}

// Greets, answers EHLO and STARTTLS, then hands the socket to TLS and waits
// for the client to finish (QUIT inside TLS, or closing).
void SmtpPeer::session(int connection) {
  const auto say = [&](const std::string& line) { (void)!::send(connection, line.data(), line.size(), MSG_NOSIGNAL); };
  switch (settings_.behaviour) {
    case Behaviour::silent: {
      std::array<char, 512> sink{};
      while (::recv(connection, sink.data(), sink.size(), 0) > 0) {
      }
      return;
    }
    case Behaviour::greet_554: say("554 5.7.1 mx.peer.test no service for you\r\n"); break;
    case Behaviour::not_smtp: say("SSH-2.0-OpenSSH_9.2p1\r\n"); break;
    default: say("220 mx.peer.test ESMTP test peer\r\n");
  }
  std::string pending;
  std::array<char, 512> buffer{};
  for (;;) {
    const auto got = ::recv(connection, buffer.data(), buffer.size(), 0);
    if (got <= 0) return;
    pending.append(buffer.data(), static_cast<std::size_t>(got));
    for (auto end = pending.find("\r\n"); end != std::string::npos; end = pending.find("\r\n")) {
      const std::string line = pending.substr(0, end);
      pending.erase(0, end + 2);
      {
        std::lock_guard lock(commands_lock_);
        commands_.push_back(line);
      }
      const std::string verb = line.substr(0, 4);
      if (verb == "EHLO") {
        say(settings_.behaviour == Behaviour::starttls ? "250-mx.peer.test\r\n250-SIZE 1000000\r\n250 STARTTLS\r\n"
                                                       : "250-mx.peer.test\r\n250 SIZE 1000000\r\n");
      } else if (verb == "STAR" && settings_.behaviour == Behaviour::starttls) {
        say("220 2.0.0 Ready to start TLS\r\n");
        SSL_CTX* context = SSL_CTX_new(TLS_server_method());
        SSL_CTX_use_certificate_chain_file(context, settings_.certificate.certificate_file.c_str());
        SSL_CTX_use_PrivateKey_file(context, settings_.certificate.key_file.c_str(), SSL_FILETYPE_PEM);
        if (settings_.tls10_only) {
          SSL_CTX_set_security_level(context, 0);
          SSL_CTX_set_min_proto_version(context, TLS1_VERSION);
          SSL_CTX_set_max_proto_version(context, TLS1_VERSION);
        }
        if (!settings_.ciphers.empty()) {
          SSL_CTX_set_max_proto_version(context, TLS1_2_VERSION);
          SSL_CTX_set_cipher_list(context, settings_.ciphers.c_str());
        }
        SSL* ssl = SSL_new(context);
        SSL_set_fd(ssl, connection);
        if (SSL_accept(ssl) == 1) {
          std::array<char, 64> rest{};
          SSL_read(ssl, rest.data(), static_cast<int>(rest.size()));  // QUIT, or the close
        }
        SSL_free(ssl);
        SSL_CTX_free(context);
        return;
      } else if (verb == "QUIT") {
        say("221 2.0.0 Bye\r\n");
        return;
      } else {
        say("502 5.5.2 Error: command not recognized\r\n");
      }
    }
  }
}

int closed_port() {
  int port = 0;
  const int fd = listening_socket(port);
  ::close(fd);  // nothing listens there now
  return port;
}

}  // namespace clearbounce::testing
