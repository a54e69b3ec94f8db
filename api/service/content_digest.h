// The digest that stands for a command's content under its command id.
#pragma once

#include <string>

#include "core/commands.h"

namespace tranche::service {

// SHA-256 (32 raw bytes) of the command's canonical JSON body
// (core::CommandBodyToJson, sorted keys; written by core::AppendCommandBodyJson), so the same body always gives the
// same digest whatever order its fields arrived in.
std::string CommandContentDigest(const core::CommandEnvelope& command);

}  // namespace tranche::service
