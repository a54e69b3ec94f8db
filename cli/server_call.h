// ServerCall: one subcommand's conversation with tranched, and how its
// failures are shown and turned into exit codes.
//
// Failures are printed to stderr: a 4xx as "rejected: <code>: <message>"
// followed by its details (exit 2), a 5xx or an unreachable server as
// "tranche: ..." (exit 3).
// Thread-safety: one ServerCall per thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/arguments.h"
#include "cli/http_client.h"

namespace tranche::cli {

class ServerCall {
 public:
  // The server from --url / TRANCHE_URL (default kDefaultUrl) and the token
  // from --token / TRANCHE_TOKEN. Errors: kInvalidArgument "invalid_url".
  static StatusOr<ServerCall> FromArguments(const Arguments& args);

  // Each returns kExitOk and fills `out`, or prints the failure and returns
  // its exit code.
  int GetJson(const std::string& target, nlohmann::json* out) const;
  int GetText(const std::string& target, std::string* out) const;
  int PostJson(const std::string& target, const nlohmann::json& body, nlohmann::json* out) const;

  const HttpClient& client() const { return client_; }

 private:
  explicit ServerCall(HttpClient client) : client_(std::move(client)) {}
  int Finish(const StatusOr<HttpReply>& reply, std::string* body) const;

  HttpClient client_;
};

// Prints a JSON error body {"error":{code,message,details}} as
// "rejected: <code>: <message>" plus one "  <key>: <value>" line per detail.
void PrintRejection(unsigned http_status, const std::string& body);

}  // namespace tranche::cli
