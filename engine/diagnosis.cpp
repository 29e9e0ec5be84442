#include "engine/diagnosis.hpp"

#include <unistd.h>

#include <array>

namespace clearbounce::engine {

namespace {

// The EHLO name: diagnose.helo_name, else what the MTA calls itself, else
// this host's name.
std::string helo_name_of(const config::Config::Diagnose& d, std::string_view mta_name) {
  if (!d.helo_name.empty()) return d.helo_name;
  if (!mta_name.empty()) return std::string(mta_name);
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) == 0 && host[0] != '\0') return host.data();
  return "localhost";
}

// The typo and block-list data, checked again: the files may have changed.
bool add_data(const config::Config::Diagnose& d, diagnose::DiagnoseSettings& settings, std::string& error) {
  if (d.suggest_domains) {
    auto domains = diagnose::load_mail_domains(d.domains_file, error);
    if (!domains) return false;
    settings.mail_domains = std::make_shared<const diagnose::MailDomains>(std::move(*domains));
  }
  settings.check_blocklists = d.check_blocklists;
  if (d.check_blocklists) {
    auto lists = diagnose::configured_blocklists(d.blocklist_zones, d.blocklists_file, error);
    if (!lists) return false;
    settings.blocklists = std::move(*lists);
  }
  for (const auto& address : d.sending_addresses)  // checked by the configuration's loader
    if (const auto parsed = diagnose::IpAddress::parse(address)) settings.sending_addresses.push_back(*parsed);
  return true;
}

// Postfix's routes and trust anchors where there is a Postfix; a host
// without one has none. diagnose.ca_file, when set, is the administrator's
// word over Postfix's smtp_tls_CAfile and smtp_tls_CApath.
bool add_postfix(const config::Config::Diagnose& d, diagnose::DiagnoseSettings& settings, std::string& error) {
  settings.ca_file = d.ca_file;
  if (d.postfix_directory.empty() || ::access((d.postfix_directory + "/main.cf").c_str(), R_OK) != 0) return true;
  auto routes = diagnose::PostfixRoutes::read(d.postfix_directory, error);
  if (!routes) return false;
  if (const auto& trust = routes->trust_anchors(); d.ca_file.empty() && (!trust.file.empty() || !trust.directory.empty())) {
    settings.ca_file = trust.file;
    settings.ca_directory = trust.directory;
    settings.with_system_cas = trust.with_system_defaults;
  }
  settings.routes = std::make_shared<const diagnose::PostfixRoutes>(std::move(*routes));
  return true;
}

}  // namespace

std::unique_ptr<diagnose::Diagnoser> start_diagnosis(const config::Config& config, std::string_view mta_name,
                                                     std::string& error) {
  const auto& d = config.diagnose;
  diagnose::DiagnoseSettings settings;
  settings.deadline = std::chrono::milliseconds(d.timeout_ms);
  settings.cache_ttl = std::chrono::seconds(d.cache_seconds);
  settings.max_concurrent_probes = d.max_probes;
  settings.resolvers = d.resolvers;
  settings.allow_networks = d.allow_networks;
  settings.helo_name = helo_name_of(d, mta_name);
  if (!add_data(d, settings, error) || !add_postfix(d, settings, error)) return nullptr;
  return diagnose::Diagnoser::start(settings, error);
}

AskFunction ask(diagnose::Diagnoser& diagnoser, std::chrono::steady_clock::time_point deadline) {
  return [&diagnoser, deadline](const std::vector<diagnose::Question>& questions) {
    return diagnoser.diagnose(questions, deadline);
  };
}

AskFunction ask_each(std::function<diagnose::Finding(const diagnose::Question&)> answer) {
  return [answer = std::move(answer)](const std::vector<diagnose::Question>& questions) {
    std::vector<diagnose::Finding> found;
    for (const auto& question : questions) found.push_back(answer(question));
    return found;
  };
}

}  // namespace clearbounce::engine
