// Build-time tool: parses the shipped rule file and writes its image
// (rules_image.hpp) as a C++ source defining builtin_rules_image. A rule
// file TOML cannot parse, or one with values the image does not keep,
// fails the build.
//
//   make_rules_image RULES.toml OUTPUT.cpp
#include <fstream>
#include <iostream>
#include <sstream>

#include "dsn/cpp_literal.hpp"
#include "classifier/rules_image.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: make_rules_image RULES.toml OUTPUT.cpp\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    std::cerr << argv[1] << ": cannot read\n";
    return 1;
  }
  const std::string rules = text.str();
  toml::table root;
  try {
    root = toml::parse(std::string_view(rules), std::string_view(argv[1]));
  } catch (const toml::parse_error& e) {
    std::cerr << argv[1] << ":" << e.source().begin.line << ": " << e.description() << "\n";
    return 1;
  }
  std::string error;
  const auto image = clearbounce::classifier::encode_rules_image(root, error);
  if (!image) {
    std::cerr << argv[1] << ": " << error << "\n";
    return 1;
  }
  std::ofstream out(argv[2], std::ios::binary);
  out << "// Written by make_rules_image from classifier/rules.toml at build time: do not edit.\n"
         "#include <string_view>\n\nnamespace clearbounce::classifier {\n\n"
         "using namespace std::string_view_literals;\n\n"
         "extern const std::string_view builtin_rules_image;\n"
         "const std::string_view builtin_rules_image =\n    "
      << clearbounce::dsn::detail::cpp_literal(*image) << ";\n\n}  // namespace clearbounce::classifier\n";
  if (!out.flush()) {
    std::cerr << "make_rules_image: cannot write " << argv[2] << "\n";
    return 1;
  }
  return 0;
}
