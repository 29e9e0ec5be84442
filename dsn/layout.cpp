// layout_of(): the one walk over a parsed message that says which part is
// which. Every media type a report's reader cares about is named here.
#include "dsn/layout.hpp"

#include <algorithm>
#include <functional>
#include <string_view>

#include "dsn/ascii.hpp"

namespace clearbounce::dsn {
namespace {

constexpr std::string_view kMarkerField = "X-Clearbounce";

template <std::size_t N>
bool is_one_of(std::string_view type, const std::array<std::string_view, N>& types) {
  for (const std::string_view t : types)
    if (type == t) return true;
  return false;
}

// A line of the header block that starts the field `name`: also a field
// the parser did not keep (past its limit of fields).
bool header_block_has_field(std::string_view block, std::string_view name) {
  std::size_t pos = 0;
  while (pos < block.size()) {
    std::size_t nl = block.find('\n', pos);
    if (nl == std::string_view::npos) nl = block.size();
    const std::string_view line = block.substr(pos, nl - pos);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view field = line.substr(0, colon);
      while (!field.empty() && detail::is_wsp(field.back())) field.remove_suffix(1);
      if (detail::iequals(field, name)) return true;
    }
    pos = nl + 1;
  }
  return false;
}

// The end of the header block after the last field the parser kept. A line
// that header_block_has_field() accepts is one the parser reads as a field,
// so a field it left out can only come after the ones it kept (past its
// limit of fields): the rest of the block need not be read again. The whole
// block when the fields do not point into it (a part parse_mime() did not make).
std::string_view after_kept_fields(const MimePart& part) {
  const std::string_view block = part.header_block;
  if (part.headers.empty()) return block;
  const std::string_view last = part.headers.back().raw_value;
  const char* const last_end = last.data() + last.size();
  // std::less_equal orders pointers into unrelated buffers too.
  const std::less_equal<const char*> not_after;
  if (!not_after(block.data(), last_end) || !not_after(last_end, block.data() + block.size())) return block;
  return block.substr(static_cast<std::size_t>(last_end - block.data()));
}

// Depth-first, in the order a reader meets the parts. It descends through
// multiparts only: a returned or forwarded message's parts belong to that
// message, never to this report.
class LayoutWalk {
 public:
  explicit LayoutWalk(ReportLayout& layout) : layout_(layout) {}

  // The multiparts above the part visited, innermost first, as a chain of
  // the walk's own stack frames: the walk itself allocates nothing.
  struct Enclosing {
    const MimePart& part;
    const Enclosing* outer;
  };

  void visit(const MimePart& part, const Enclosing* enclosing = nullptr) {
    const std::string_view type = part.media_type();
    if (part.is_multipart()) {
      visit_multipart(part, enclosing);
    } else if (is_one_of(type, media_types::delivery_status)) {
      layout_.delivery_status.push_back(&part);
    } else if (type == media_types::feedback) {
      if (!layout_.feedback) layout_.feedback = &part;
    } else if (is_one_of(type, media_types::returned_message) || is_one_of(type, media_types::returned_headers)) {
      if (!layout_.returned) layout_.returned = &part;
    } else {
      note_human_text(part);
    }
  }

 private:
  void visit_multipart(const MimePart& part, const Enclosing* enclosing) {
    if (!layout_.report && part.media_type() == media_types::report) {
      layout_.report = &part;
      for (const Enclosing* e = enclosing; e != nullptr; e = e->outer) layout_.report_ancestors.push_back(&e->part);
      std::reverse(layout_.report_ancestors.begin(), layout_.report_ancestors.end());  // outermost first
    }
    const Enclosing here{part, enclosing};
    for (const MimePart& child : part.children) visit(child, &here);
  }

  // The first plain text wins; HTML only stands in when there is none.
  void note_human_text(const MimePart& part) {
    if (layout_.human_form == HumanForm::plain) return;
    const std::string_view type = part.media_type();
    if (type == "text/plain" || type.empty()) {
      layout_.human = &part;
      layout_.human_form = HumanForm::plain;
    } else if (type == "text/html" && layout_.human_form == HumanForm::none) {
      layout_.human = &part;
      layout_.human_form = HumanForm::html;
    }
  }

  ReportLayout& layout_;
};

// Crude but safe: drop the markup, keep the words; the end of a tag, or a
// stray '>', becomes a space. The text between tags is moved down in place
// (what is kept never outruns what is read). The next '<' and '>' are each
// searched for only once the read position has passed them, so the cost
// stays linear however they interleave.
std::string without_markup(std::string html) {
  std::size_t kept = 0;
  std::size_t pos = 0;
  std::size_t next_open = html.find('<');
  std::size_t next_close = html.find('>');
  for (;;) {
    const std::size_t text_end = std::min({next_open, next_close, html.size()});
    std::copy(html.begin() + static_cast<std::ptrdiff_t>(pos), html.begin() + static_cast<std::ptrdiff_t>(text_end),
              html.begin() + static_cast<std::ptrdiff_t>(kept));
    kept += text_end - pos;
    if (text_end == html.size()) break;
    // At a '<' the tag runs to the next '>'; a tag never closed hides the rest.
    if (next_open < next_close && next_close == std::string::npos) break;
    html[kept++] = ' ';
    pos = next_close + 1;
    next_close = html.find('>', pos);
    if (next_open < pos) next_open = html.find('<', pos);
  }
  html.resize(kept);
  return html;
}

}  // namespace

const MimePart* ReportLayout::returned_headers() const {
  if (returned && !returned->children.empty()) return &returned->children.front();
  if (parsed_returned_headers) return &parsed_returned_headers->root;
  return nullptr;
}

ReportLayout layout_of(const MimePart& root) {
  ReportLayout layout;
  layout.root = &root;
  LayoutWalk(layout).visit(root);
  // A multipart whose boundary never occurs has no parts to read.
  if (layout.human_form == HumanForm::none && root.is_multipart() && root.children.empty()) {
    layout.human = &root;
    layout.human_form = HumanForm::unparsed_body;
  }
  if (layout.returned && is_one_of(layout.returned->media_type(), media_types::returned_headers))
    layout.parsed_returned_headers = parse_mime(layout.returned->body);
  layout.has_marker_field =
      root.header(kMarkerField).has_value() || header_block_has_field(after_kept_fields(root), kMarkerField);
  return layout;
}

std::string human_text(const ReportLayout& layout) {
  switch (layout.human_form) {
    case HumanForm::none: return {};
    case HumanForm::plain: return layout.human->decoded_body();
    case HumanForm::html: return without_markup(layout.human->decoded_body());
    case HumanForm::unparsed_body: return std::string(layout.human->body);
  }
  return {};
}

}  // namespace clearbounce::dsn
