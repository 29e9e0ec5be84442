#include "engine/diagnosis.hpp"

#include <unistd.h>

#include <array>

namespace clearbounce::engine {

std::unique_ptr<diagnose::Diagnoser> start_diagnosis(const config::Config& config, std::string_view mta_name,
                                                     std::string& error) {
  const auto& d = config.diagnose;
  diagnose::DiagnoseSettings settings;
  settings.deadline = std::chrono::milliseconds(d.timeout_ms);
  settings.cache_ttl = std::chrono::seconds(d.cache_seconds);
  settings.max_concurrent_probes = d.max_probes;
  settings.ca_file = d.ca_file;
  settings.resolvers = d.resolvers;
  settings.allow_networks = d.allow_networks;
  settings.helo_name = d.helo_name.empty() ? std::string(mta_name) : d.helo_name;
  if (settings.helo_name.empty()) {
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) == 0 && host[0] != '\0') settings.helo_name = host.data();
  }
  if (settings.helo_name.empty()) settings.helo_name = "localhost";
  if (d.suggest_domains) {  // the built-in list and the administrator's, checked again: the file may have changed
    auto domains = diagnose::load_mail_domains(d.domains_file, error);
    if (!domains) return nullptr;
    settings.mail_domains = std::make_shared<const diagnose::MailDomains>(std::move(*domains));
  }
  settings.check_blocklists = d.check_blocklists;
  if (d.check_blocklists) {
    auto lists = diagnose::configured_blocklists(d.blocklist_zones, d.blocklists_file, error);
    if (!lists) return nullptr;
    settings.blocklists = std::move(*lists);
  }
  for (const auto& address : d.sending_addresses)  // checked by the configuration's loader
    if (const auto parsed = diagnose::IpAddress::parse(address)) settings.sending_addresses.push_back(*parsed);
  // Postfix's routes where there is a Postfix; a Sendmail host has none.
  if (!d.postfix_directory.empty() && ::access((d.postfix_directory + "/main.cf").c_str(), R_OK) == 0) {
    auto routes = diagnose::PostfixRoutes::read(d.postfix_directory, error);
    if (!routes) return nullptr;
    settings.routes = std::make_shared<const diagnose::PostfixRoutes>(std::move(*routes));
  }
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
