// Error bodies and the Status → HTTP mapping.
#include "api/server/error_response.h"

namespace tranche::api {

std::string ErrorBody(const std::string& code, const std::string& message,
                      const nlohmann::json& details) {
  nlohmann::json body = {
      {"error",
       {{"code", code},
        {"message", message},
        {"details", details.is_object() ? details : nlohmann::json::object()}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Response ErrorResponse(unsigned status, const std::string& code, const std::string& message,
                       const nlohmann::json& details) {
  return Response::Json(status, ErrorBody(code, message, details));
}

Response BadField(const std::string& field, const std::string& rule, const std::string& message) {
  return ErrorResponse(kHttpBadRequest, "invalid_field", message,
                       {{"field", field}, {"rule", rule}});
}

unsigned HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return kHttpBadRequest;
    case StatusCode::kNotFound: return kHttpNotFound;
    case StatusCode::kConflict:
    case StatusCode::kAlreadyExists: return kHttpConflict;
    case StatusCode::kFailedPrecondition: return kHttpUnprocessable;
    case StatusCode::kResourceExhausted: return kHttpPayloadTooLarge;
    case StatusCode::kUnavailable: return kHttpServiceUnavailable;
    case StatusCode::kDataLoss:
    case StatusCode::kIOError:
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

Response ErrorFromStatus(const Status& status, const nlohmann::json& details) {
  std::string code = status.reason();
  if (code.empty()) code = std::string(StatusCodeName(status.code()));
  return ErrorResponse(HttpStatusFor(status), code, status.message(), details);
}

}  // namespace tranche::api
