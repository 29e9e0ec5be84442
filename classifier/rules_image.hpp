// The shipped rule file as a compact image of its parsed TOML tree, made at
// build time, so that a process rebuilds the tree without reading TOML.
// Reading the 64 KB rule file takes a TOML parser some 12 million
// instructions, a third of what classifying one message costs a fresh
// process; rebuilding the tree from its image takes a fraction of that.
//
// The image keeps what the rule loader reads: tables, arrays, strings,
// booleans and integers, in their order, and the line where each table
// began in the file (a rebuilt node has no source position of its own, and
// `decided_by` names the rule's line). A rule file holding other kinds of
// values (floats, dates) has no image: the build fails.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <toml++/toml.h>

namespace clearbounce::classifier {

// The line in the rule file where each table of a rebuilt tree began.
using TableLines = std::unordered_map<const toml::node*, std::uint32_t>;

struct RulesTree {
  toml::table root;
  TableLines table_lines;
};

// The image of `root`; nullopt (and `error` says why) when it holds a kind
// of value the image does not keep.
std::optional<std::string> encode_rules_image(const toml::table& root, std::string& error);

// The tree an image was made from; nullopt for bytes that are not a whole
// image (cut short, nested too deep, a key twice in one table).
std::optional<RulesTree> decode_rules_image(std::string_view image);

}  // namespace clearbounce::classifier
