// Talks to tranched and maps its answers to exit codes.
#include "cli/server_call.h"

#include <cstdio>
#include <cstdlib>

#include "cli/exit_code.h"

namespace tranche::cli {

using nlohmann::json;

StatusOr<ServerCall> ServerCall::FromArguments(const Arguments& args) {
  std::string url = kDefaultUrl;
  if (const char* env = std::getenv("TRANCHE_URL"); env && *env) url = env;
  if (auto flag = args.Find("url")) url = *flag;
  std::string token;
  if (const char* env = std::getenv("TRANCHE_TOKEN"); env && *env) token = env;
  if (auto flag = args.Find("token")) token = *flag;
  StatusOr<ServerAddress> address = ServerAddress::Parse(url);
  if (!address.ok()) return address.status();
  return ServerCall(HttpClient(*address, token));
}

int ServerCall::GetJson(const std::string& target, json* out) const {
  std::string body;
  if (int code = Finish(client_.Get(target), &body); code != kExitOk) return code;
  *out = json::parse(body, nullptr, false);
  if (out->is_discarded()) {
    std::fprintf(stderr, "tranche: the server's answer to %s is not JSON\n", target.c_str());
    return kExitFailure;
  }
  return kExitOk;
}

int ServerCall::GetText(const std::string& target, std::string* out) const {
  return Finish(client_.Get(target), out);
}

int ServerCall::PostJson(const std::string& target, const json& body, json* out) const {
  std::string text;
  if (int code = Finish(client_.Post(target, body.dump()), &text); code != kExitOk) return code;
  *out = json::parse(text, nullptr, false);
  if (out->is_discarded()) {
    std::fprintf(stderr, "tranche: the server's answer to %s is not JSON\n", target.c_str());
    return kExitFailure;
  }
  return kExitOk;
}

int ServerCall::Finish(const StatusOr<HttpReply>& reply, std::string* body) const {
  if (!reply.ok()) {
    std::fprintf(stderr, "tranche: cannot reach the server: %s\n", reply.status().message().c_str());
    return kExitFailure;
  }
  if (reply->status >= 200 && reply->status < 300) {
    *body = reply->body;
    return kExitOk;
  }
  PrintRejection(reply->status, reply->body);
  return reply->status >= 400 && reply->status < 500 ? kExitRejected : kExitFailure;
}

void PrintRejection(unsigned http_status, const std::string& body) {
  json parsed = json::parse(body, nullptr, false);
  const bool structured = !parsed.is_discarded() && parsed.is_object() &&
                          parsed.contains("error") && parsed["error"].is_object();
  const char* prefix = http_status < 500 ? "rejected" : "tranche: server error";
  if (!structured) {
    std::fprintf(stderr, "%s: HTTP %u: %s\n", prefix, http_status, body.substr(0, 500).c_str());
    return;
  }
  const json& error = parsed["error"];
  std::fprintf(stderr, "%s: %s: %s\n", prefix, error.value("code", "unknown").c_str(),
               error.value("message", "").c_str());
  if (error.contains("details") && error["details"].is_object()) {
    for (const auto& [key, value] : error["details"].items()) {
      const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
      std::fprintf(stderr, "  %s: %s\n", key.c_str(), text.c_str());
    }
  }
}

}  // namespace tranche::cli
