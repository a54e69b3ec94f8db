// RenderedViewCache: the JSON bodies of the current-state GETs, each kept for
// the one log position it was rendered at.
//
// A view names its moment in its body ("moment":{"as_of_position":P}) and the
// read model is temporal (docs/DECISIONS.md §1): the view of an id at
// position P never changes once P is applied. So a body rendered at P is
// exactly the answer for (the same route and id, P), and any event after P
// makes it useless rather than wrong: a lookup at the new head misses. Only
// the latest body per key is kept (a newer position replaces an older one,
// never the reverse).
//
// Bounded: at most kEntriesMax keys and kBodyBytesMax bytes of bodies; once
// full, new keys are not kept (the route renders them every time). Callers
// keep only answers about things that exist (a 200 for a known id), so the
// keys are the domain's own, not whatever a client puts in a URL.
//
// Threads: every method may be called from any thread. Bodies are shared
// immutable strings, so a reader keeps its body however the cache changes.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tranche::api {

class RenderedViewCache {
 public:
  static constexpr size_t kEntriesMax = 4096;
  static constexpr size_t kBodyBytesMax = 64 * 1024 * 1024;

  // The body kept for `key` at exactly `position`, or null.
  std::shared_ptr<const std::string> Find(std::string_view key, uint64_t position) const;
  // Keeps `body` as the answer for `key` at `position`, unless a body for a
  // later position is already kept or the cache is full.
  void Store(std::string_view key, uint64_t position, std::shared_ptr<const std::string> body);

  size_t entries() const;
  size_t body_bytes() const;

 private:
  struct Entry {
    uint64_t position = 0;
    std::shared_ptr<const std::string> body;
  };
  // Looks up by string_view without building a std::string per request.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>()(text); }
  };

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;  // Guarded by mutex_.
  size_t body_bytes_ = 0;                                                 // Guarded by mutex_.
};

}  // namespace tranche::api
