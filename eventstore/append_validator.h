// AppendValidator: the checks an AppendRequest must pass before it is queued.
//
// These are the store's named limits (event_store.h). They are pure checks on
// the request, so they run on the submitting thread and a request that breaks
// one never reaches the writer: nothing is written. Expected versions and
// command ids need the store's state and are checked by AppendWriter.
//
// Threads: static functions, safe from any thread.
#pragma once

#include <string>

#include "core/status.h"
#include "eventstore/event_store.h"
#include "eventstore/sha256.h"

namespace tranche::eventstore {

class AppendValidator {
 public:
  // Ok, or the first broken limit as an AppendError naming the stream (if
  // the limit belongs to one). `*request_bytes` receives the request's size.
  static AppendError Validate(const AppendRequest& request, size_t* request_bytes);

  // The 32-byte digest that the command id stands for: the caller's
  // content_digest, or SHA-256 over a length-prefixed encoding of the
  // streams, expectations, event types, schemas, given event ids and payloads.
  static std::string ContentDigest(const AppendRequest& request, Sha256* sha);

 private:
  static Status ValidateStream(const StreamAppend& stream, size_t* bytes);
};

}  // namespace tranche::eventstore
