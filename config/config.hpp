// The configuration file (TOML), shared by the CLI and the milter. Every key
// is optional; defaults are the values below. Documented for administrators
// in config/clearbounce.toml (the shipped example) and the man page.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clearbounce::config {

struct Config {
  // [locale]
  std::string default_locale = "en";                      // locale.default
  std::map<std::string, std::string> domain_locales;      // locale.domains: "example.de" = "de"
  // [organization]
  std::string organization;                               // organization.name
  std::string support;                                    // organization.support (address, URL or phone)
  // organization.domains."example.com": for senders of that domain and the
  // domains under it, the name, support contact and locale they see; an
  // empty field keeps the default ([organization], the locale chosen as
  // usual). For systems that serve several organisations.
  struct Brand {
    std::string name;
    std::string support;
    std::string locale;  // as locale.domains would give it for this domain
  };
  std::map<std::string, Brand, std::less<>> brands;
  // The brand of a sender's domain (the domain or the nearest one above it
  // with a brand), or null.
  const Brand* brand_for(std::string_view sender_domain) const;
  // [templates]
  std::string templates_directory;                        // templates.directory: admin overrides, <tag>.toml
  // [rules]
  std::string rules_file;                                 // rules.file: empty = built-in rule set
  // [rewrite]
  std::size_t max_message_bytes = 10u << 20;              // rewrite.max_message_bytes (default 10 MiB)
  // rewrite.time_limit_ms: the work budget of one message, in CPU time;
  // past it the message passes unchanged (a hostile report must not hold a
  // core).
  unsigned time_limit_ms = 1000;
  // rewrite.detailed_recipients: recipients explained one by one; the rest
  // are counted and summed up by cause.
  std::size_t detailed_recipients = 20;
  // Privacy, opt-in; the only settings under which the attached parts change.
  // rewrite.return_headers_only: a returned message (message/rfc822,
  // message/global) is replaced by its header section (text/rfc822-headers,
  // message/global-headers), so the bounce no longer carries its text and
  // attachments.
  bool return_headers_only = false;
  // rewrite.hide_expanded_recipients: the notice never shows an address an
  // alias or forward expanded the recipient to (the Final-Recipient when it
  // differs from the Original-Recipient), not even inside the server's
  // quoted words.
  bool hide_expanded_recipients = false;
  // [marker]
  // marker.key_file: the secret that signs X-Clearbounce markers (16 bytes
  // to 4 KiB, read as they are). Empty: a random key made at start, so only
  // markers of this process's own run verify.
  std::string marker_key_file;
  // [backscatter] Names of this mail system besides the MTA's own ({j}):
  // a returned message with none of them in its Received lines or
  // Message-ID was not sent from here. Lower-case.
  std::vector<std::string> backscatter_hostnames;  // backscatter.hostnames: exact host names
  std::vector<std::string> backscatter_domains;    // backscatter.domains: domains and every host under them

  // [milter] the daemon clearbounce-milter; the CLI ignores this section.
  // Messages larger than rewrite.max_message_bytes are passed unchanged.
  struct Milter {
    // milter.socket: where the daemon listens, in libmilter's notation:
    // "unix:/path" (or "local:/path"), "inet:PORT@HOST", "inet6:PORT@HOST"
    // (HOST optional: all addresses).
    std::string socket = "unix:/run/clearbounce/clearbounce.sock";
    std::string user;              // milter.user: switch to this user after opening the socket (as root); empty: stay
    std::string group;             // milter.group: group of the process and of a unix socket; empty: the user's
    unsigned umask = 0007;         // milter.umask: file mode creation mask, so the socket's mode (0007: rwxrwx---)
    bool handle_local_bounces = true;  // milter.handle_local_bounces: our own MTA's bounces (empty envelope sender)
    bool handle_remote_dsns = true;    // milter.handle_remote_dsns: reports arriving over SMTP (MAIL FROM:<>)
    unsigned timeout_seconds = 300;    // milter.timeout_seconds: I/O with the MTA; also how long SIGTERM waits
    bool dry_run = false;              // milter.dry_run: only add X-Clearbounce, change nothing else
    std::string log_level = "info";    // milter.log_level: error, warning, notice, info or debug
    unsigned stats_interval_seconds = 3600;  // milter.stats_interval_seconds: counters to the log; 0: only on SIGUSR2
  };
  Milter milter;

  // [diagnose] a look of our own (DNS, the receiving server's STARTTLS and
  // certificate) when one of our own MTA's reports leaves the cause open;
  // never for reports that arrive over SMTP (diagnose/README.md).
  struct Diagnose {
    bool enabled = false;                     // diagnose.enabled
    unsigned timeout_ms = 5000;               // diagnose.timeout_ms: per report, 100 to 60000
    unsigned cache_seconds = 600;             // diagnose.cache_seconds: per destination, findings and none alike
    unsigned max_probes = 8;                  // diagnose.max_probes: SMTP probes at once
    std::string helo_name;                    // diagnose.helo_name: EHLO name; empty: the host's name
    std::string ca_file;                      // diagnose.ca_file: PEM trust anchors; empty: Postfix's, else the system's
    std::vector<std::string> resolvers;       // diagnose.resolvers: "address" or "address:port"; empty: resolv.conf
    std::vector<std::string> allow_networks;  // diagnose.allow_networks: private networks that may be probed
    bool suggest_domains = true;              // diagnose.suggest_domains: "Did you mean bob@gmail.com?"
    std::string domains_file;                 // diagnose.domains_file: more well-known mail domains, one a line
    std::string postfix_directory = "/etc/postfix";  // diagnose.postfix_directory: its routes; "": none
    // The block-list check (diagnose/blocklists.hpp), part of the diagnosis.
    bool check_blocklists = true;  // diagnose.check_blocklists: its off switch
    // diagnose.blocklist_zones: lists that answer any resolver for free at
    // a mail server's volume, without registration (README, "Diagnosis").
    std::vector<std::string> blocklist_zones = {"zen.spamhaus.org", "bl.spamcop.net", "psbl.surriel.com",
                                                "bl.mailspike.net"};
    std::vector<std::string> sending_addresses;  // diagnose.sending_addresses: public addresses we send from
    std::string blocklists_file;                 // diagnose.blocklists_file: zones, names, pages of one's own
  };
  Diagnose diagnose;
};

// Loads a configuration file. On error returns nullopt and sets `error` to
// "file:line: what is wrong" (unknown keys and wrong types are errors, so
// that typing mistakes do not go unnoticed).
std::optional<Config> load_file(const std::string& path, std::string& error);
std::optional<Config> load_text(std::string_view toml, std::string_view source_name, std::string& error);

}  // namespace clearbounce::config
