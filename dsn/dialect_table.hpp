// The wording tables of the free-text readers (dialects.cpp): each MTA
// family's signature, and the wording regexes that are gated by literals.
// Data only, read both at run time and by the build step that works out
// the gate's tables from them (dialect_gate.hpp). Internal to dsn/.
#pragma once

#include <string_view>

namespace clearbounce::dsn::detail {

struct Dialect {
  const char* name;
  const char* signature;  // RE2, case-insensitive, searched in the human text and Subject
};

// Wording that identifies each MTA family. Order matters only where two
// families share a phrase: the first match names the bounce.
inline constexpr Dialect kDialects[] = {
    {"postfix", R"(this is the (postfix program|mail system) at host|postfix smtp server: errors from)"},
    {"qmail", R"(this is the qmail-send program|i'm afraid i wasn't able to deliver your message)"},
    {"dragonfly", R"(this is the dragonfly mail agent)"},
    {"opensmtpd", R"(this is the mailer-daemon, please do not reply|an error has occurred while attempting to deliver|a message is delayed for more than)"},
    {"exim", R"(this message was created automatically by (mail delivery software|the smtp relay)|a message that you (have )?sent (could not be delivered|has not yet been delivered|contained one or more recipient addresses))"},
    {"sendmail", R"(the following addresses had (permanent fatal|permanent delivery|delivery) (errors|problems)|-+ ?transcript of session follows|the original message was received at)"},
    {"gmail", R"(delivery to the following recipients? (failed|has been delayed)|technical details of (permanent|temporary) failure|\*\* (message|address) not (delivered|found) \*\*)"},
    {"googlegroups", R"(googlegroups|the group you tried to contact)"},
    {"yahoo", R"(sorry, we were unable to deliver your message to the following address)"},
    {"exchange", R"(did not reach the following recipient|delivery has failed to these recipients|your message (couldn't|could not|wasn't|was not) be(en)? delivered|diagnostic information for administrators)"},
    {"domino", R"(was not delivered to:|-+ ?failure reasons ?-+)"},
    {"amazonses", R"re(an error occurred while trying to deliver the mail to the following recipients|"notificationtype"\s*:\s*"(bounce|delivery)"|the following message to .* was undeliverable)re"},
    {"messagingserver", R"(this report relates to a message you sent with the following header fields)"},
    {"mailru", R"(это письмо создано автоматически)"},
    {"x2", R"(unable to deliver message to the following address\(es\))"},
    {"x4", R"(your mail message to the following address\(es\) could not be delivered)"},
    {"x6", R"(we had trouble delivering your message|returned permanent errors)"},
    {"imailserver", R"(body of message generated response|delivery failed \d+ attempts|user mailbox exceeds allowed size|undeliverable to )"},
    {"kddi", R"(could not be delivered to:)"},
    {"mailfoundry", R"(unable to deliver message to:|delivery failed for the following reason)"},
    {"verizon", R"(message could not be delivered to mobile)"},
    {"mailinglist", R"(you are not a member of this (mailing )?list|duplicated message-id)"},
    {"ezweb", R"(each of the following recipients was rejected by a remote mail server|送信できませんでした|the user\(s\) account is disabled)"},
    {"mfilter", R"(m-filter)"},
};

// The wording that readers search a whole text for, each regex with its
// gate: literals one of which every match of the regex holds (each list
// says why), found for all regexes in one pass by scan_wording(). A regex
// none of whose literals occur is not run.
inline constexpr std::string_view kBannerPattern =
    R"((?i)((scanned|checked|filtered|protected|swept|screened) (for|by|with|against)[^\n]{0,80}(virus|malware|spam|anti-?virus|threats|security|protection|filter)|(virus|malware|spam)[- ](free|scanned|checked)|mailscanner|believed to be clean|report (this|it) (message |e-?mail )?as spam))";
// The first alternative ends in one of its last group's words ("anti-virus"
// holds "virus"), the second starts with one, "report ... as spam" ends with one.
inline constexpr std::string_view kBannerLiterals[] = {"virus",  "malware", "spam",        "threats",
                                                "security", "protection", "filter", "mailscanner",
                                                "believed to be clean"};
// Challenge-response and whitelist systems ask the sender to prove
// itself; the message is held, not refused.
inline constexpr std::string_view kChallengePattern =
    R"((?i)(confirm|prove|verify) (that )?you are (a )?(real )?(human|person|sender)|(held|quarantined|pending|waiting) (until|unless) you (verify|confirm|reply|respond)|awaiting (your )?(verification|confirmation)|to complete (the )?delivery,? (please )?(click|reply|visit)|(click|reply|respond)[^.\n]{0,60}(verify|confirm) (yourself|your (message|e-?mail|address|identity))|to release your message|has not been verified|please confirm your (message|e-?mail|request)|\b(tmda|boxbe|spamarrest|spam arrest|mailblocks|choicemail)\b)";
// A literal of each alternative in turn ("confirm your" serves two).
inline constexpr std::string_view kChallengeLiterals[] = {
    "you are ",    "until you ",   "unless you ",           "awaiting ",
    "to complete ", "verify your", "confirm your",          "to release your message",
    "has not been verified", "tmda", "boxbe",               "spamarrest",
    "spam arrest", "mailblocks",   "choicemail"};
// Free-text warnings say they keep trying, or that delivery has not
// happened yet, in English and in the languages mail systems write them in.
inline constexpr std::string_view kDelayPattern =
    R"((?i)this is a warning|has not yet been delivered|still being retried|will be retried|will keep trying|delivery attempts will continue|is delayed|delayed for more than|only a temporary failure|noch nicht zugestellt|nur eine warnung|versuchen weiterhin|simple avertissement|pas encore été (remis|distribué|livré)|todavía no ha sido entregado|seguiremos intentando|non è ancora stato consegnato|ainda não foi entregue|nog niet (afgeleverd|bezorgd))";
// An ASCII literal of each alternative in turn (the gate's automaton is
// kept to ASCII: other bytes would multiply its table).
inline constexpr std::string_view kDelayLiterals[] = {
    "this is a warning",       "has not yet been delivered", "still being retried",
    "will be retried",         "will keep trying",           "delivery attempts will continue",
    "is delayed",              "delayed for more than",      "only a temporary failure",
    "noch nicht zugestellt",   "nur eine warnung",           "versuchen weiterhin",
    "simple avertissement",    "pas encore ",                "no ha sido entregado",
    "seguiremos intentando",   "ancora stato consegnato",    "foi entregue",
    "nog niet "};
// The same in Russian, Chinese and Japanese, looked for only in a text
// with such characters.
inline constexpr std::string_view kDelayPatternBeyondLatin =
    R"(ещё не доставлено|еще не доставлено|尚未(投递|送达)|まだ配送されていません)";

}  // namespace clearbounce::dsn::detail
