// SmtpProbe against SMTP peers on loopback, each with a certificate made by
// OpenSSL in the test that fails one way, or failing before TLS: the probe
// must tell each case and its facts apart, say who it is and leave with QUIT.
#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "diagnose/smtp_probe.hpp"
#include "tests/diagnose/test_tls.hpp"

namespace {

using clearbounce::diagnose::IpAddress;
using clearbounce::diagnose::ProbeOutcome;
using clearbounce::diagnose::ProbeResult;
using clearbounce::diagnose::ProbeTarget;
using clearbounce::diagnose::TlsContext;
using clearbounce::testing::SmtpPeer;
using clearbounce::testing::TestPki;
using namespace std::chrono_literals;

constexpr const char* kHost = "mx.peer.test";

class SmtpProbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::signal(SIGPIPE, SIG_IGN);  // as in the milter: OpenSSL writes with write()
    directory_ = std::filesystem::temp_directory_path() / ("clearbounce-pki-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory_);
    pki_ = std::make_unique<TestPki>(directory_.string());
    std::string error;
    tls_ = TlsContext::make({pki_->ca_file(), "", false}, error);
    ASSERT_NE(tls_, nullptr) << error;
  }
  static void TearDownTestSuite() {
    tls_.reset();
    pki_.reset();
    std::filesystem::remove_all(directory_);
  }

  static ProbeResult probe(int port, std::chrono::milliseconds within = 5000ms) {
    ProbeTarget target{*IpAddress::parse("127.0.0.1"), static_cast<std::uint16_t>(port), kHost, {}, {}};
    return clearbounce::diagnose::probe_now(target, "probe.clearbounce.test", tls_,
                                            std::chrono::steady_clock::now() + within);
  }

  static ProbeResult probe_with(const TestPki::Leaf& leaf, SmtpPeer::Settings settings = {}) {
    settings.certificate = pki_->issue(leaf.name + std::to_string(counter_++), leaf);
    SmtpPeer peer(settings);
    return probe(peer.port());
  }

  static bool has_error(const ProbeResult& r, int error) {
    return std::find(r.tls.verify_errors.begin(), r.tls.verify_errors.end(), error) != r.tls.verify_errors.end();
  }

  static inline std::filesystem::path directory_;
  static inline std::unique_ptr<TestPki> pki_;
  static inline std::shared_ptr<const TlsContext> tls_;
  static inline int counter_ = 0;
};

TEST_F(SmtpProbeTest, AGoodCertificateVerifiesAndTheFactsAreRead) {
  SmtpPeer peer({SmtpPeer::Behaviour::starttls, pki_->issue("good", {kHost}), false, ""});
  const auto r = probe(peer.port());
  ASSERT_EQ(r.outcome, ProbeOutcome::verified) << r.tls.failure;
  EXPECT_TRUE(r.tls.verify_errors.empty());
  ASSERT_TRUE(r.tls.certificate.has_value());
  EXPECT_EQ(r.tls.certificate->subject, kHost);
  EXPECT_EQ(r.tls.certificate->names, (std::vector<std::string>{kHost}));
  EXPECT_EQ(r.tls.certificate->issuer, "clearbounce test root");
  EXPECT_NEAR(static_cast<double>(r.tls.certificate->not_after), static_cast<double>(std::time(nullptr) + 86400), 120);
  EXPECT_FALSE(r.tls.protocol.empty());
  EXPECT_FALSE(r.tls.cipher.empty());
  EXPECT_EQ(r.tls.chain_length, 1);
  // It said who it is and asked for TLS; it never tried to send mail.
  const auto commands = peer.commands();
  ASSERT_GE(commands.size(), 2u);
  EXPECT_EQ(commands[0], "EHLO probe.clearbounce.test");
  EXPECT_EQ(commands[1], "STARTTLS");
  for (const auto& c : commands) EXPECT_NE(c.rfind("MAIL", 0), 0u) << c;
}

TEST_F(SmtpProbeTest, TellsAnExpiredCertificateAndWhenItExpired) {
  const auto r = probe_with({kHost, -10 * 86400, -2 * 86400});
  EXPECT_EQ(r.outcome, ProbeOutcome::certificate_not_verified);
  EXPECT_TRUE(has_error(r, X509_V_ERR_CERT_HAS_EXPIRED));
  ASSERT_TRUE(r.tls.certificate.has_value());
  EXPECT_NEAR(static_cast<double>(r.tls.certificate->not_after), static_cast<double>(std::time(nullptr) - 2 * 86400),
              120);
}

TEST_F(SmtpProbeTest, TellsACertificateNotYetValid) {
  const auto r = probe_with({kHost, 3 * 86400, 30 * 86400});
  EXPECT_EQ(r.outcome, ProbeOutcome::certificate_not_verified);
  EXPECT_TRUE(has_error(r, X509_V_ERR_CERT_NOT_YET_VALID));
}

TEST_F(SmtpProbeTest, TellsANameMismatchAndTheNamesTheCertificateHolds) {
  const auto r = probe_with({"mail.elsewhere.test"});
  EXPECT_EQ(r.outcome, ProbeOutcome::certificate_not_verified);
  EXPECT_TRUE(has_error(r, X509_V_ERR_HOSTNAME_MISMATCH));
  ASSERT_TRUE(r.tls.certificate.has_value());
  EXPECT_EQ(r.tls.certificate->names, (std::vector<std::string>{"mail.elsewhere.test"}));
}

TEST_F(SmtpProbeTest, TellsSelfSignedUnknownIssuerAndMissingIntermediate) {
  TestPki::Leaf self_signed{kHost};
  self_signed.self_signed = true;
  EXPECT_TRUE(has_error(probe_with(self_signed), X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT));

  TestPki::Leaf unknown{kHost};
  unknown.unknown_ca = true;
  const auto stranger = probe_with(unknown);
  EXPECT_EQ(stranger.outcome, ProbeOutcome::certificate_not_verified);
  EXPECT_TRUE(has_error(stranger, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY));
  EXPECT_EQ(stranger.tls.certificate->issuer, "an authority nobody trusts");

  TestPki::Leaf chained{kHost};
  chained.via_intermediate = true;
  EXPECT_EQ(probe_with(chained).outcome, ProbeOutcome::verified);  // the server sends the intermediate
  chained.send_intermediate = false;
  const auto missing = probe_with(chained);
  EXPECT_EQ(missing.outcome, ProbeOutcome::certificate_not_verified);
  EXPECT_TRUE(has_error(missing, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY));
  EXPECT_EQ(missing.tls.chain_length, 1);
}

TEST_F(SmtpProbeTest, TellsAHandshakeThatFails) {
  SmtpPeer::Settings old_protocol;
  old_protocol.tls10_only = true;
  const auto tls10 = probe_with({kHost}, old_protocol);
  EXPECT_EQ(tls10.outcome, ProbeOutcome::handshake_failed);
  EXPECT_FALSE(tls10.tls.failure.empty());

  SmtpPeer::Settings no_cipher;
  no_cipher.ciphers = "PSK-AES128-CBC-SHA";  // no client offers it without a pre-shared key
  const auto cipher = probe_with({kHost}, no_cipher);
  EXPECT_EQ(cipher.outcome, ProbeOutcome::handshake_failed);
  EXPECT_FALSE(cipher.tls.failure.empty());
}

TEST_F(SmtpProbeTest, TellsTheFailuresBeforeTls) {
  SmtpPeer plain({SmtpPeer::Behaviour::no_starttls, {}, false, ""});
  const auto no_tls = probe(plain.port());
  EXPECT_EQ(no_tls.outcome, ProbeOutcome::no_starttls);
  EXPECT_EQ(no_tls.reply.code, 250);
  // It leaves politely (the peer may read the QUIT a moment after the probe ended).
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (plain.commands().back() != "QUIT" && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(plain.commands().back(), "QUIT");

  SmtpPeer refusing({SmtpPeer::Behaviour::greet_554, {}, false, ""});
  const auto refused = probe(refusing.port());
  EXPECT_EQ(refused.outcome, ProbeOutcome::greeting_refused);
  EXPECT_EQ(refused.reply.code, 554);
  EXPECT_EQ(refused.reply.lines.at(0), "5.7.1 mx.peer.test no service for you");

  SmtpPeer other({SmtpPeer::Behaviour::not_smtp, {}, false, ""});
  EXPECT_EQ(probe(other.port()).outcome, ProbeOutcome::garbled);

  EXPECT_EQ(probe(clearbounce::testing::closed_port()).outcome, ProbeOutcome::refused);
}

TEST_F(SmtpProbeTest, ASilentServerEndsAtTheDeadline) {
  SmtpPeer silent({SmtpPeer::Behaviour::silent, {}, false, ""});
  const auto started = std::chrono::steady_clock::now();
  const auto r = probe(silent.port(), 300ms);
  EXPECT_EQ(r.outcome, ProbeOutcome::no_greeting);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

}  // namespace
