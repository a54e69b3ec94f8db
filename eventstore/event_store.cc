// EventStore's factory and the read filter.
#include "eventstore/event_store.h"

#include <algorithm>

#include "eventstore/rocks_event_store.h"

namespace tranche::eventstore {

bool ReadFilter::Matches(const RecordedEvent& e) const {
  if (!e.stream.starts_with(stream_prefix)) return false;
  return types.empty() || std::find(types.begin(), types.end(), e.type) != types.end();
}

StatusOr<std::unique_ptr<EventStore>> EventStore::Open(const std::string& path,
                                                       const Options& options) {
  return RocksEventStore::Open(path, options);
}

}  // namespace tranche::eventstore
