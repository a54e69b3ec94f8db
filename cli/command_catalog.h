// CommandCatalog: the ten domain commands as the CLI offers them, each flag
// mapped to its field in the JSON body (DESIGN.md "Command bodies").
//
// Thread-safety: immutable static data.
#pragma once

#include <string>
#include <vector>

namespace tranche::cli {

enum class FieldKind {
  kText,         // --flag VALUE → "field": "VALUE".
  kPounds,       // --amount £1,234.56 → "field_pence": 123456.
  kYearAmounts,  // --award 2009/10=£1.00 (repeated) → {"2009/10": 100, ...}.
  kYearEnvelopes,  // --year 2009/10=£1.00 (repeated) → [{"label","envelope_pence"}].
};

struct FieldSpec {
  const char* flag;   // Without "--".
  const char* field;  // The JSON body's key.
  FieldKind kind;
  bool required;
  const char* help;
};

struct CommandSpec {
  const char* name;  // The route's last segment and the subcommand's name.
  const char* summary;
  const char* roles;
  std::vector<FieldSpec> fields;  // Without the common --reason, --expected-version, --command-id.
  bool reason_required;
};

class CommandCatalog {
 public:
  static const std::vector<CommandSpec>& All();
  // nullptr when `name` is not a command.
  static const CommandSpec* Find(const std::string& name);
};

}  // namespace tranche::cli
