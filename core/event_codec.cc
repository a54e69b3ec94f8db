// The compact binary payload codec (EncodeEvent / DecodeEvent), driven by
// fields.h: each payload is its fields in VisitFields order, laid out as
// core/byte_codec.h describes.
#include <limits>
#include <type_traits>
#include <utility>

#include "core/byte_codec.h"
#include "core/events.h"
#include "core/fields.h"

namespace tranche::core {
namespace {

// Empties what a read appends to (vectors, maps) or may leave unset
// (optionals), so that a payload decoded before can be decoded into again.
// Strings and scalars are always overwritten and keep their capacity.
template <typename T>
void ClearForRead(T& value) {
  if constexpr (IsOptional<T>::value) {
    value.reset();
  } else if constexpr (IsVector<T>::value || IsMap<T>::value) {
    value.clear();
  } else if constexpr (HasFields<T>) {
    VisitFields(value, [](const char*, auto& field) { ClearForRead(field); });
  }
}

template <size_t I = 0>
Status DecodeAlternative(std::string_view type, std::string_view bytes, Event* out) {
  if constexpr (I == std::variant_size_v<Event>) {
    return Status::DataLoss("unknown_event_type", "unknown event type '" + std::string(type) + "'");
  } else {
    if (AllEventTypeNames()[I] != type) return DecodeAlternative<I + 1>(type, bytes, out);
    // The same alternative is decoded into in place: a replay that reuses its
    // events allocates nothing for strings that fit their old capacity.
    if (out->index() == I) {
      ClearForRead(std::get<I>(*out));
    } else {
      out->emplace<I>();
    }
    auto& payload = std::get<I>(*out);
    ByteReader reader(bytes);
    reader.Read(payload);
    if (!reader.ok() || !reader.AtEnd()) {
      return Status::DataLoss("corrupt_event", "the " + std::string(type) +
                                                   " payload of " + std::to_string(bytes.size()) +
                                                   " bytes does not decode");
    }
    return Status::Ok();
  }
}

}  // namespace

std::string EncodeEvent(const Event& event) {
  ByteWriter writer;
  std::visit([&writer](const auto& payload) { writer.Write(payload); }, event);
  return writer.Take();
}

Status DecodeEventInto(std::string_view type, uint32_t schema, std::string_view bytes,
                       Event* out) {
  if (schema != kEventSchemaVersion) {
    return Status::DataLoss("unknown_event_schema",
                            "event schema " + std::to_string(schema) + " is not known");
  }
  return DecodeAlternative(type, bytes, out);
}

StatusOr<Event> DecodeEvent(std::string_view type, uint32_t schema, std::string_view bytes) {
  Event event;
  Status status = DecodeEventInto(type, schema, bytes, &event);
  if (!status.ok()) return status;
  return event;
}

}  // namespace tranche::core
