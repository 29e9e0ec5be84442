// Certificates made with OpenSSL for the probe tests (a CA, an intermediate,
// server certificates that fail each way), and SMTP servers on loopback
// that greet, answer EHLO and STARTTLS and handshake with one of them, or
// fail in a chosen way.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace clearbounce::testing {

// A key and a certificate, written to PEM files in `directory`.
struct Issued {
  std::string certificate_file;  // the certificate, then its issuers to send along (a chain file)
  std::string key_file;
};

// A certificate authority and what it signs. Times are seconds from now.
class TestPki {
 public:
  explicit TestPki(std::string directory);
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::string& ca_file() const { return ca_file_; }  // the root, to trust

  struct Leaf {
    std::string name;                  // CN and the one DNS subjectAltName
    long not_before = -3600;
    long not_after = 86400;
    bool self_signed = false;          // signed by its own key, not by the CA
    bool via_intermediate = false;     // signed by an intermediate CA
    bool send_intermediate = true;     // whether the chain file holds the intermediate
    bool unknown_ca = false;           // signed by another CA that nobody trusts
  };
  Issued issue(const std::string& file_name, const Leaf& leaf);

 private:
  struct Authority;
  std::string directory_;
  std::string ca_file_;
  std::unique_ptr<Authority> root_, intermediate_, stranger_;
};

// An SMTP server on 127.0.0.1 (a free port), one connection at a time.
class SmtpPeer {
 public:
  enum class Behaviour { starttls, no_starttls, silent, greet_554, not_smtp };
  struct Settings {
    Behaviour behaviour = Behaviour::starttls;
    Issued certificate;           // for starttls
    bool tls10_only = false;      // the server speaks TLS 1.0 and nothing newer
    std::string ciphers;          // a TLS 1.2 cipher list the client shares none of
  };
  explicit SmtpPeer(Settings settings);
  ~SmtpPeer();
  SmtpPeer(const SmtpPeer&) = delete;
  SmtpPeer& operator=(const SmtpPeer&) = delete;

  int port() const { return port_; }
  int connections() const { return connections_.load(); }
  std::vector<std::string> commands() const;  // every line received before TLS, in order

 private:
  void serve();
  void session(int connection);

  Settings settings_;
  int listener_ = -1;
  int port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<int> connections_{0};
  mutable std::mutex commands_lock_;
  std::vector<std::string> commands_;
  std::thread thread_;
};

// A loopback TCP port where nothing listens: connections are refused.
int closed_port();

}  // namespace clearbounce::testing
