// JsonLiteDocument::Parse: nlohmann's SAX parser into flat vectors.
#include "core/json/json_lite.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/check.h"

namespace tranche::core::json_internal {

// nlohmann's SAX interface (json_sax): one call per token, in document order.
class JsonLiteBuilder {
 public:
  explicit JsonLiteBuilder(JsonLiteDocument* document) : d_(*document) {}

  bool null() { return Add(JsonLiteNode{}); }
  bool boolean(bool value) {
    JsonLiteNode node;
    node.kind = JsonLiteKind::kBoolean;
    node.boolean = value;
    return Add(node);
  }
  bool number_integer(int64_t value) {
    JsonLiteNode node;
    node.kind = JsonLiteKind::kInteger;
    node.integer = value;
    return Add(node);
  }
  bool number_unsigned(uint64_t value) {
    JsonLiteNode node;
    node.kind = JsonLiteKind::kUnsigned;
    node.integer = static_cast<int64_t>(value);
    return Add(node);
  }
  bool number_float(double value, const std::string& /*text*/) {
    JsonLiteNode node;
    node.kind = JsonLiteKind::kFloat;
    node.floating = value;
    return Add(node);
  }
  bool string(std::string& value) {
    JsonLiteNode node;
    node.kind = JsonLiteKind::kString;
    if (!Text(value, &node.text_at, &node.text_size)) return false;
    return Add(node);
  }
  bool binary(nlohmann::json::binary_t& /*value*/) { return false; }  // Not in JSON text.
  bool key(std::string& value) { return Text(value, &key_at_, &key_size_); }
  bool start_object(size_t /*elements*/) { return Open(JsonLiteKind::kObject); }
  bool end_object() { return Close(); }
  bool start_array(size_t /*elements*/) { return Open(JsonLiteKind::kArray); }
  bool end_array() { return Close(); }
  bool parse_error(size_t /*position*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& /*error*/) {
    return false;
  }

 private:
  static constexpr size_t kSortInPlaceMax = 32;

  // Appends to the text; false past 4 GiB (offsets are 32 bits).
  bool Text(std::string_view text, uint32_t* at, uint32_t* size) {
    if (d_.text_.size() + text.size() > std::numeric_limits<uint32_t>::max()) return false;
    *at = static_cast<uint32_t>(d_.text_.size());
    *size = static_cast<uint32_t>(text.size());
    d_.text_.append(text);
    return true;
  }

  // A value: a member (under the last key) or an element of the innermost
  // open container, or the root.
  bool Add(JsonLiteNode node) {
    if (d_.nodes_.size() >= std::numeric_limits<uint32_t>::max()) return false;
    const auto index = static_cast<uint32_t>(d_.nodes_.size());
    if (!d_.open_nodes_.empty()) {
      if (d_.nodes_[d_.open_nodes_.back()].kind == JsonLiteKind::kObject) {
        node.key_at = key_at_;
        node.key_size = key_size_;
      }
      d_.open_children_[d_.open_nodes_.size() - 1].push_back(index);
    }
    d_.nodes_.push_back(node);
    return true;
  }

  bool Open(JsonLiteKind kind) {
    JsonLiteNode node;
    node.kind = kind;
    const auto index = static_cast<uint32_t>(d_.nodes_.size());
    if (!Add(node)) return false;
    d_.open_nodes_.push_back(index);
    if (d_.open_children_.size() < d_.open_nodes_.size()) d_.open_children_.emplace_back();
    d_.open_children_[d_.open_nodes_.size() - 1].clear();
    return true;
  }

  // An object's members go in key order, the last of a repeated key kept,
  // as nlohmann's std::map holds them.
  bool Close() {
    const uint32_t index = d_.open_nodes_.back();
    std::vector<uint32_t>& children = d_.open_children_[d_.open_nodes_.size() - 1];
    JsonLiteNode& node = d_.nodes_[index];
    if (node.kind == JsonLiteKind::kObject) {
      auto key_of = [this](uint32_t child) {
        const JsonLiteNode& n = d_.nodes_[child];
        return std::string_view(d_.text_).substr(n.key_at, n.key_size);
      };
      auto before = [&key_of](uint32_t a, uint32_t b) { return key_of(a) < key_of(b); };
      if (children.size() <= kSortInPlaceMax) {  // Stable insertion sort: no allocation.
        for (size_t i = 1; i < children.size(); ++i) {
          for (size_t j = i; j > 0 && before(children[j], children[j - 1]); --j) {
            std::swap(children[j], children[j - 1]);
          }
        }
      } else {
        std::stable_sort(children.begin(), children.end(), before);
      }
      // Of equal keys (adjacent, in document order) keep the last.
      size_t kept = 0;
      for (size_t i = 0; i < children.size(); ++i) {
        if (i + 1 < children.size() && key_of(children[i + 1]) == key_of(children[i])) continue;
        children[kept++] = children[i];
      }
      children.resize(kept);
    }
    node.children_at = static_cast<uint32_t>(d_.children_.size());
    node.size = static_cast<uint32_t>(children.size());
    d_.children_.insert(d_.children_.end(), children.begin(), children.end());
    d_.open_nodes_.pop_back();
    return true;
  }

  JsonLiteDocument& d_;
  uint32_t key_at_ = 0;
  uint32_t key_size_ = 0;
};

bool JsonLiteDocument::Parse(std::string_view text) {
  nodes_.clear();
  children_.clear();
  text_.clear();
  open_nodes_.clear();
  JsonLiteBuilder builder(this);
  const bool parsed =
      nlohmann::json::sax_parse(text, &builder, nlohmann::json::input_format_t::json,
                                /*strict=*/true, /*ignore_comments=*/false);
  if (!parsed || nodes_.empty() || !open_nodes_.empty()) {
    nodes_.clear();
    return false;
  }
  return true;
}

template <>
std::string JsonLite::get<std::string>() const {
  return std::string(text());
}
template <>
bool JsonLite::get<bool>() const {
  return node().boolean;
}
template <>
int64_t JsonLite::get<int64_t>() const {
  const JsonLiteNode& n = node();
  return n.kind == JsonLiteKind::kFloat ? static_cast<int64_t>(n.floating) : n.integer;
}
template <>
uint64_t JsonLite::get<uint64_t>() const {
  const JsonLiteNode& n = node();
  return n.kind == JsonLiteKind::kFloat ? static_cast<uint64_t>(n.floating)
                                        : static_cast<uint64_t>(n.integer);
}

template <>
double JsonLite::get<double>() const {
  const JsonLiteNode& n = node();
  switch (n.kind) {
    case JsonLiteKind::kFloat: return n.floating;
    case JsonLiteKind::kUnsigned: return static_cast<double>(static_cast<uint64_t>(n.integer));
    default: return static_cast<double>(n.integer);
  }
}

std::string_view JsonLite::text() const {
  const JsonLiteNode& n = node();
  TRANCHE_CHECK(n.kind == JsonLiteKind::kString);
  return std::string_view(document_->text_).substr(n.text_at, n.text_size);
}

size_t JsonLite::size() const {
  const JsonLiteNode& n = node();
  return n.kind == JsonLiteKind::kArray || n.kind == JsonLiteKind::kObject ? n.size : 0;
}

JsonLite JsonLite::operator[](size_t i) const {
  const JsonLiteNode& n = node();
  TRANCHE_CHECK(n.kind == JsonLiteKind::kArray && i < n.size);
  return JsonLite(document_, document_->children_[n.children_at + i]);
}

JsonLiteFound JsonLite::find(std::string_view key) const {
  const JsonLiteNode& n = node();
  if (n.kind != JsonLiteKind::kObject) return JsonLiteFound();
  for (uint32_t i = 0; i < n.size; ++i) {
    const uint32_t child = document_->children_[n.children_at + i];
    if (Item(document_, child).key() == key) return JsonLiteFound(JsonLite(document_, child));
  }
  return JsonLiteFound();
}

JsonLite::Items JsonLite::items() const {
  const JsonLiteNode& n = node();
  TRANCHE_CHECK(n.kind == JsonLiteKind::kObject);
  return Items(document_, document_->children_.data() + n.children_at, n.size);
}

std::string_view JsonLite::Item::key() const {
  const JsonLiteNode& n = document_->nodes_[index_];
  return std::string_view(document_->text_).substr(n.key_at, n.key_size);
}

}  // namespace tranche::core::json_internal
