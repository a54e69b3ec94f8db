// NameThread: the name `top -H`, `ps -L`, perf and gdb show for a thread,
// so an operator can tell the store's writer from the command decider.
#pragma once

#include <thread>

namespace tranche {

// Set by the creator, so the name is there before the constructor that
// started the thread returns. At most 15 characters are kept (the kernel's
// limit); longer names are cut.
void NameThread(std::thread& thread, const char* name);

}  // namespace tranche
