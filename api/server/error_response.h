// The one error shape of DESIGN.md "Errors":
//   {"error":{"code":"…","message":"…","details":{…}}}
// and the mapping from a Status to its HTTP status. Only api/ maps codes to
// HTTP statuses.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api/server/request_context.h"
#include "core/status.h"

namespace tranche::api {

// Statuses the API answers with, and their default codes.
inline constexpr unsigned kHttpBadRequest = 400;           // "bad_request"
inline constexpr unsigned kHttpUnauthorized = 401;         // "unauthorized"
inline constexpr unsigned kHttpForbidden = 403;            // "forbidden"
inline constexpr unsigned kHttpNotFound = 404;             // "not_found"
inline constexpr unsigned kHttpMethodNotAllowed = 405;     // "method_not_allowed"
inline constexpr unsigned kHttpConflict = 409;             // "conflict"
inline constexpr unsigned kHttpPayloadTooLarge = 413;      // "body_too_large"
inline constexpr unsigned kHttpHeadersTooLarge = 431;      // "headers_too_large"
inline constexpr unsigned kHttpUnprocessable = 422;        // a domain rule's reason
inline constexpr unsigned kHttpServiceUnavailable = 503;   // "unavailable"

// The error body as text.
std::string ErrorBody(const std::string& code, const std::string& message,
                      const nlohmann::json& details = nlohmann::json::object());
// A complete error response.
Response ErrorResponse(unsigned status, const std::string& code, const std::string& message,
                       const nlohmann::json& details = nlohmann::json::object());
// A 400 naming the query parameter at fault and the rule it broke, with the
// code the command and state routes use for the same fault: "invalid_field",
// details {"field": field, "rule": rule}.
Response BadField(const std::string& field, const std::string& rule, const std::string& message);

// Status → HTTP status: kInvalidArgument 400, kNotFound 404, kConflict and
// kAlreadyExists 409, kFailedPrecondition 422, kResourceExhausted 413,
// kUnavailable 503, others 500.
unsigned HttpStatusFor(const Status& status);
// The error response for a non-ok Status; its code is status.reason() (or the
// code's name when the reason is empty).
Response ErrorFromStatus(const Status& status,
                         const nlohmann::json& details = nlohmann::json::object());

}  // namespace tranche::api
