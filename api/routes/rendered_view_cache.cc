// The bounded, position-keyed cache of rendered view bodies.
#include "api/routes/rendered_view_cache.h"

namespace tranche::api {

std::shared_ptr<const std::string> RenderedViewCache::Find(std::string_view key,
                                                           uint64_t position) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.position != position) return nullptr;
  return it->second.body;
}

void RenderedViewCache::Store(std::string_view key, uint64_t position,
                              std::shared_ptr<const std::string> body) {
  if (body == nullptr) return;
  const size_t bytes = body->size();
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= kEntriesMax || body_bytes_ + bytes > kBodyBytesMax) return;
    entries_.emplace(std::string(key), Entry{position, std::move(body)});
    body_bytes_ += bytes;
    return;
  }
  Entry& entry = it->second;
  // A slower request may finish after a newer one: keep the newer body.
  if (position < entry.position) return;
  const size_t old_bytes = entry.body->size();
  if (body_bytes_ - old_bytes + bytes > kBodyBytesMax) return;
  body_bytes_ = body_bytes_ - old_bytes + bytes;
  entry.position = position;
  entry.body = std::move(body);
}

size_t RenderedViewCache::entries() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

size_t RenderedViewCache::body_bytes() const {
  std::lock_guard lock(mutex_);
  return body_bytes_;
}

}  // namespace tranche::api
