#include "classifier/classifier.hpp"
namespace clearbounce::classifier {
class RuleSet {};
Classifier::Classifier(std::unique_ptr<RuleSet> rules) : rules_(std::move(rules)) {}
Classifier::~Classifier() = default;
std::unique_ptr<Classifier> Classifier::builtin(std::string& error) { error = "not implemented"; return nullptr; }
std::unique_ptr<Classifier> Classifier::load_file(const std::string&, std::string& error) { error = "not implemented"; return nullptr; }
std::unique_ptr<Classifier> Classifier::load_text(std::string_view, std::string_view, std::string& error) { error = "not implemented"; return nullptr; }
Classification Classifier::classify(const dsn::RecipientReport&, const dsn::BounceReport&) const { return {}; }
static const std::vector<Category> kNone;
const std::vector<Category>& Classifier::categories() const { return kNone; }
const Category* Classifier::find_category(std::string_view) const { return nullptr; }
std::string_view to_string(WhoCanFix) { return "sender-admin"; }
}
