// Internal to core/json: JsonLite, a read-only JSON document for request
// bodies, with the subset of nlohmann::json's interface that JsonReader
// (json_fields.h) uses.
//
// A command's body is parsed once per request. nlohmann's DOM costs a map
// node and a string object per field and a heap string per long value: about
// twenty allocations for a record-tranche body, a sixth of all a command made
// (bench/README.md). JsonLite is filled by nlohmann's own SAX parser, so it
// accepts and refuses exactly the texts nlohmann::json::parse does and types
// numbers alike, into flat vectors that a thread reuses from one parse to
// the next: no allocation once they have grown. Object members are kept in
// key order with the last of repeated keys winning, as nlohmann's std::map
// keeps them; tests/core/json_lite_test.cc holds the two to the same answers.
//
// Thread-safety: a JsonLiteDocument is used by one thread; its values are
// valid until it is parsed into again or destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tranche::core::json_internal {

class JsonLiteDocument;
class JsonLiteFound;

enum class JsonLiteKind : uint8_t {
  kNull, kBoolean, kInteger, kUnsigned, kFloat, kString, kArray, kObject
};

// One value; strings, keys and a container's children are ranges of the
// document's shared buffers.
struct JsonLiteNode {
  JsonLiteKind kind = JsonLiteKind::kNull;
  bool boolean = false;
  uint32_t key_at = 0, key_size = 0;    // A member's key, in the text.
  uint32_t text_at = 0, text_size = 0;  // A string's text, in the text.
  uint32_t children_at = 0, size = 0;   // A container's, in the children.
  int64_t integer = 0;                  // kInteger, or kUnsigned's bits.
  double floating = 0;
};

class JsonLite {
 public:
  using Kind = JsonLiteKind;

  bool is_null() const { return node().kind == Kind::kNull; }
  bool is_boolean() const { return node().kind == Kind::kBoolean; }
  bool is_string() const { return node().kind == Kind::kString; }
  bool is_array() const { return node().kind == Kind::kArray; }
  bool is_object() const { return node().kind == Kind::kObject; }
  bool is_number_unsigned() const { return node().kind == Kind::kUnsigned; }
  bool is_number_integer() const {
    return node().kind == Kind::kInteger || node().kind == Kind::kUnsigned;
  }

  // As nlohmann's get<T>() for T in {std::string, bool, int64_t, uint64_t,
  // double}, after the caller has checked the kind.
  template <typename T>
  T get() const;
  // A string's text.
  std::string_view text() const;

  // Elements of an array, members of an object; 0 otherwise.
  size_t size() const;
  // The i-th element of an array.
  JsonLite operator[](size_t i) const;

  // A member, or end(); it points to the value (found->is_null()).
  JsonLiteFound find(std::string_view key) const;
  JsonLiteFound end() const;
  bool contains(std::string_view key) const;

  // An object's members in key order: for (const auto& item : value.items())
  // with item.key() and item.value().
  class Item {
   public:
    Item(const JsonLiteDocument* document, uint32_t index) : document_(document), index_(index) {}
    std::string_view key() const;
    JsonLite value() const { return JsonLite(document_, index_); }

   private:
    const JsonLiteDocument* document_;
    uint32_t index_;
  };
  class Items {
   public:
    class Iterator {
     public:
      Iterator(const JsonLiteDocument* document, const uint32_t* at)
          : document_(document), at_(at) {}
      Item operator*() const { return Item(document_, *at_); }
      Iterator& operator++() {
        ++at_;
        return *this;
      }
      bool operator==(const Iterator& other) const { return at_ == other.at_; }

     private:
      const JsonLiteDocument* document_;
      const uint32_t* at_;
    };
    Iterator begin() const { return Iterator(document_, first_); }
    Iterator end() const { return Iterator(document_, first_ + count_); }

   private:
    friend class JsonLite;
    Items(const JsonLiteDocument* document, const uint32_t* first, size_t count)
        : document_(document), first_(first), count_(count) {}
    const JsonLiteDocument* document_;
    const uint32_t* first_;
    size_t count_;
  };
  Items items() const;

 private:
  friend class JsonLiteDocument;
  friend class JsonLiteFound;
  JsonLite() = default;
  JsonLite(const JsonLiteDocument* document, uint32_t index) : document_(document), index_(index) {}
  const JsonLiteNode& node() const;

  const JsonLiteDocument* document_ = nullptr;
  uint32_t index_ = 0;
};

// What JsonLite::find gives: a member's value, or nothing (end()).
class JsonLiteFound {
 public:
  JsonLiteFound() = default;
  explicit JsonLiteFound(JsonLite value) : value_(value), present_(true) {}
  const JsonLite& operator*() const { return value_; }
  const JsonLite* operator->() const { return &value_; }
  bool operator==(const JsonLiteFound& other) const {
    return present_ == other.present_ && (!present_ || value_.index_ == other.value_.index_);
  }

 private:
  JsonLite value_;
  bool present_ = false;
};

inline JsonLiteFound JsonLite::end() const { return JsonLiteFound(); }
inline bool JsonLite::contains(std::string_view key) const { return !(find(key) == end()); }

class JsonLiteDocument {
 public:
  // Parses `text`; false, leaving no value, where nlohmann::json::parse
  // would fail (strict: nothing but whitespace after the value).
  bool Parse(std::string_view text);
  // The parsed value. Only after Parse returned true.
  JsonLite root() const { return JsonLite(this, 0); }

 private:
  friend class JsonLite;
  friend class JsonLiteBuilder;
  std::vector<JsonLiteNode> nodes_;  // In document order; 0 is the root.
  std::vector<uint32_t> children_;   // Each container's node indexes, contiguous.
  std::string text_;                 // Strings and keys, unescaped.
  // While parsing: the open containers (node indexes) and their children so
  // far, one list per depth, kept for the next parse.
  std::vector<uint32_t> open_nodes_;
  std::vector<std::vector<uint32_t>> open_children_;
};

inline const JsonLiteNode& JsonLite::node() const { return document_->nodes_[index_]; }

template <>
std::string JsonLite::get<std::string>() const;
template <>
bool JsonLite::get<bool>() const;
template <>
int64_t JsonLite::get<int64_t>() const;
template <>
uint64_t JsonLite::get<uint64_t>() const;
template <>
double JsonLite::get<double>() const;

}  // namespace tranche::core::json_internal
