// Status and StatusOr<T>: how every module boundary reports success or failure.
//
// Modelled on leveldb's Status and abseil's status codes. A Status is cheap to
// copy when ok. `code()` says what kind of failure it is (and so how a caller
// should react: retry, fix the input, give up); `reason()` is a stable
// snake_case identifier of the exact rule that failed (for example
// "wrong_expected_version" or "tranche_exceeds_award") that the API exposes to
// clients; `message()` is for humans and may change.
//
// Thread-safety: a Status is a value; distinct objects may be used from
// distinct threads freely.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/check.h"

namespace tranche {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,     // Malformed input: fix the request.
  kNotFound,            // The thing named does not exist.
  kConflict,            // Expected version did not match; re-read and retry.
  kAlreadyExists,       // A unique key (command id, reference) is taken.
  kFailedPrecondition,  // A domain rule forbids this in the current state.
  kResourceExhausted,   // A named limit was exceeded.
  kDataLoss,            // Stored data failed a checksum or chain check.
  kIOError,             // The disk or the database failed.
  kUnavailable,         // The component is stopped or stopping.
  kInternal,            // A bug: an invariant we rely on did not hold.
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK.
  Status(StatusCode code, std::string reason, std::string message)
      : rep_(std::make_shared<const Rep>(Rep{code, std::move(reason), std::move(message)})) {
    TRANCHE_CHECK(code != StatusCode::kOk);
  }

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string reason, std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(reason), std::move(message));
  }
  static Status NotFound(std::string reason, std::string message) {
    return Status(StatusCode::kNotFound, std::move(reason), std::move(message));
  }
  static Status Conflict(std::string reason, std::string message) {
    return Status(StatusCode::kConflict, std::move(reason), std::move(message));
  }
  static Status AlreadyExists(std::string reason, std::string message) {
    return Status(StatusCode::kAlreadyExists, std::move(reason), std::move(message));
  }
  static Status FailedPrecondition(std::string reason, std::string message) {
    return Status(StatusCode::kFailedPrecondition, std::move(reason), std::move(message));
  }
  static Status ResourceExhausted(std::string reason, std::string message) {
    return Status(StatusCode::kResourceExhausted, std::move(reason), std::move(message));
  }
  static Status DataLoss(std::string reason, std::string message) {
    return Status(StatusCode::kDataLoss, std::move(reason), std::move(message));
  }
  static Status IOError(std::string reason, std::string message) {
    return Status(StatusCode::kIOError, std::move(reason), std::move(message));
  }
  static Status Unavailable(std::string reason, std::string message) {
    return Status(StatusCode::kUnavailable, std::move(reason), std::move(message));
  }
  static Status Internal(std::string reason, std::string message) {
    return Status(StatusCode::kInternal, std::move(reason), std::move(message));
  }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  // Stable snake_case identifier of the failed rule; "" when ok.
  const std::string& reason() const { return rep_ ? rep_->reason : Empty(); }
  const std::string& message() const { return rep_ ? rep_->message : Empty(); }
  // "invalid_argument: stream_name_too_long: stream name is 300 bytes (max 200)".
  std::string ToString() const;

 private:
  struct Rep {
    StatusCode code;
    std::string reason;
    std::string message;
  };
  static const std::string& Empty();
  std::shared_ptr<const Rep> rep_;
};

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design.
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design.
    TRANCHE_CHECK(!status_.ok());
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  const T& value() const& {
    TRANCHE_CHECK(ok());
    return *value_;
  }
  T& value() & {
    TRANCHE_CHECK(ok());
    return *value_;
  }
  T&& value() && {
    TRANCHE_CHECK(ok());
    return std::move(*value_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace tranche
