// Builds, sends and reports one domain command.
#include "cli/command_runner.h"

#include <cstdio>
#include <random>

#include "cli/exit_code.h"
#include "cli/server_call.h"
#include "core/money.h"

namespace tranche::cli {
namespace {

using nlohmann::json;

constexpr const char* kCommonFlags[] = {"reason", "expected-version", "command-id"};

StatusOr<int64_t> ParseAmount(const std::string& flag, const std::string& text) {
  StatusOr<core::Pence> pence = core::ParsePounds(text);
  if (!pence.ok()) {
    return Status::InvalidArgument("invalid_amount", "--" + flag + ": '" + text +
                                                         "' is not an amount like £1,234.56");
  }
  return pence->value();
}

// "2009/10=£1,000.00" → ("2009/10", 100000).
Status ParseYearAmount(const std::string& flag, const std::string& text, std::string* year,
                      int64_t* pence) {
  const size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    return Status::InvalidArgument("invalid_year_amount",
                                   "--" + flag + " wants YEAR=AMOUNT, e.g. 2009/10=£660,000.00");
  }
  *year = text.substr(0, equals);
  StatusOr<int64_t> amount = ParseAmount(flag, text.substr(equals + 1));
  if (!amount.ok()) return amount.status();
  *pence = *amount;
  return Status::Ok();
}

// The placeholder shown after a flag in --help.
const char* MetavarOf(const FieldSpec& field) {
  const std::string flag = field.flag;
  if (field.kind == FieldKind::kPounds) return "AMOUNT";
  if (field.kind != FieldKind::kText) return "YEAR=AMOUNT";
  if (flag == "year") return "YEAR";
  if (flag == "cluster" || flag == "programme" || flag == "organisation") return "ID";
  if (flag.ends_with("-on")) return "DATE";
  if (flag == "reference") return "REF";
  return "TEXT";
}

}  // namespace

StatusOr<json> CommandRunner::BuildBody(const CommandSpec& spec, const Arguments& args) {
  json body = json::object();
  for (const FieldSpec& field : spec.fields) {
    const std::vector<std::string> values = args.GetAll(field.flag);
    if (values.empty()) {
      if (field.required) {
        return Status::InvalidArgument("missing_flag", std::string("--") + field.flag +
                                                           " is required (" + field.help + ")");
      }
      continue;
    }
    switch (field.kind) {
      case FieldKind::kText:
        body[field.field] = values.back();
        break;
      case FieldKind::kPounds: {
        StatusOr<int64_t> pence = ParseAmount(field.flag, values.back());
        if (!pence.ok()) return pence.status();
        body[std::string(field.field) + "_pence"] = *pence;
        break;
      }
      case FieldKind::kYearAmounts:
      case FieldKind::kYearEnvelopes: {
        json amounts = json::object();
        json envelopes = json::array();
        for (const std::string& value : values) {
          std::string year;
          int64_t pence = 0;
          if (Status status = ParseYearAmount(field.flag, value, &year, &pence); !status.ok()) {
            return status;
          }
          amounts[year] = pence;
          envelopes.push_back({{"label", year}, {"envelope_pence", pence}});
        }
        body[field.field] = field.kind == FieldKind::kYearAmounts ? amounts : envelopes;
        break;
      }
    }
  }
  if (auto reason = args.Find("reason")) {
    body["reason"] = *reason;
  } else if (spec.reason_required) {
    return Status::InvalidArgument("missing_flag", "--reason is required for " +
                                                       std::string(spec.name));
  }
  if (auto expected = args.Find("expected-version")) {
    if (expected->empty() || expected->find_first_not_of("0123456789") != std::string::npos ||
        expected->size() > 18) {
      return Status::InvalidArgument("invalid_expected_version",
                                     "--expected-version wants a stream version (an integer)");
    }
    body["expected_version"] = std::stoll(*expected);
  }
  return body;
}

std::string CommandRunner::NewCommandId() {
  std::random_device random;
  std::string id;
  char hex[9];
  for (int i = 0; i < 4; ++i) {
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(random()));
    id += hex;
  }
  return id;
}

int CommandRunner::Run(const CommandSpec& spec, const Arguments& args) {
  std::vector<std::string> allowed(std::begin(kCommonFlags), std::end(kCommonFlags));
  for (const FieldSpec& field : spec.fields) allowed.emplace_back(field.flag);
  if (std::string unknown = args.FirstUnknownFlag(allowed); !unknown.empty()) {
    std::fprintf(stderr, "tranche %s: unknown flag --%s (see tranche %s --help)\n", spec.name,
                 unknown.c_str(), spec.name);
    return kExitUsage;
  }
  if (!args.positional().empty()) {
    std::fprintf(stderr, "tranche %s: unexpected argument '%s'\n", spec.name,
                 args.positional()[0].c_str());
    return kExitUsage;
  }
  StatusOr<json> body = BuildBody(spec, args);
  if (!body.ok()) {
    std::fprintf(stderr, "tranche %s: %s\n", spec.name, body.status().message().c_str());
    return kExitUsage;
  }
  StatusOr<ServerCall> call = ServerCall::FromArguments(args);
  if (!call.ok()) {
    std::fprintf(stderr, "tranche: %s\n", call.status().message().c_str());
    return kExitUsage;
  }
  const std::string command_id =
      args.Find("command-id").value_or(NewCommandId());
  (*body)["command_id"] = command_id;
  // Before sending: if the answer is lost, this is what a retry reuses.
  std::fprintf(stderr, "command id: %s\n", command_id.c_str());

  json result;
  const int code = call->PostJson(std::string("/v1/commands/") + spec.name, *body, &result);
  if (code != kExitOk) {
    if (code == kExitFailure) {
      std::fprintf(stderr, "retry with --command-id %s to get the original result\n",
                   command_id.c_str());
    }
    return code;
  }
  if (args.json()) {
    std::printf("%s\n", result.dump(2).c_str());
    return kExitOk;
  }
  std::printf("ok: %s committed at positions %llu-%llu\n", spec.name,
              static_cast<unsigned long long>(result.value("first_position", 0ull)),
              static_cast<unsigned long long>(result.value("last_position", 0ull)));
  for (const json& event : result.value("events", json::array())) {
    std::printf("  %llu  %s  %s v%llu  actor %s\n",
                static_cast<unsigned long long>(event.value("position", 0ull)),
                event.value("type", "").c_str(), event.value("stream", "").c_str(),
                static_cast<unsigned long long>(event.value("version", 0ull)),
                event.value("actor", "").c_str());
  }
  std::printf("command id: %s\n", command_id.c_str());
  return kExitOk;
}

std::string CommandRunner::Help(const CommandSpec& spec) {
  std::string usage = std::string("usage: tranche ") + spec.name;
  std::string lines;
  auto add_line = [&](const std::string& flag, const std::string& help) {
    std::string padded = "  " + flag;
    if (padded.size() < 28) padded.resize(28, ' ');
    else padded += "  ";
    lines += padded + help + "\n";
  };
  for (const FieldSpec& field : spec.fields) {
    const char* metavar = MetavarOf(field);
    const std::string flag = std::string("--") + field.flag + " " + metavar;
    const bool repeated = field.kind == FieldKind::kYearAmounts ||
                          field.kind == FieldKind::kYearEnvelopes;
    usage += field.required ? " " + flag : " [" + flag + "]";
    if (repeated) usage += "...";
    add_line(flag, std::string(field.help) + (field.required ? "" : " (optional)"));
  }
  usage += spec.reason_required ? " --reason TEXT" : " [--reason TEXT]";
  usage += " [--expected-version N] [--command-id ID] [--json]";
  add_line("--reason TEXT", spec.reason_required ? "why (required)" : "why (optional)");
  add_line("--expected-version N", "the stream version you last saw; 409 if it moved");
  add_line("--command-id ID", "idempotency key (default: 128 random bits, printed)");
  add_line("--json", "print the server's JSON answer");
  add_line("--url URL", "server (default $TRANCHE_URL or http://127.0.0.1:8080)");
  add_line("--token TOKEN", "bearer token (default $TRANCHE_TOKEN)");
  return usage + "\n\n" + spec.summary + " Roles: " + spec.roles + ".\n\n" + lines +
         "\nAmounts are pounds: £125,000.00, 125,000.00, 125000.00 or 125000.\n";
}

}  // namespace tranche::cli
