#include "core/thread_name.h"

#include <pthread.h>

#include <cstring>

namespace tranche {

void NameThread(std::thread& thread, const char* name) {
  char kept[16];
  std::strncpy(kept, name, sizeof(kept) - 1);
  kept[sizeof(kept) - 1] = '\0';
  pthread_setname_np(thread.native_handle(), kept);  // Fails only for a name too long.
}

}  // namespace tranche
