// PrefaultForWrite: back a range of fresh memory with pages in one system
// call, before it is filled.
//
// Filling fresh memory takes one page fault per 4 KiB page. On the VMs this
// project is measured on a fault costs ~12 µs where asking the kernel to
// populate the whole range at once (madvise MADV_POPULATE_WRITE, Linux 5.14)
// costs ~3 µs a page in all: bench/README.md has the figures. A snapshot's
// load knows each table's final size before it fills it, so it populates
// the tables first.
//
// A hint: on a kernel without MADV_POPULATE_WRITE, or when the kernel
// refuses, nothing happens and the range faults in as it is written.
// Thread-safety: any thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <vector>

namespace tranche {

// Populates the whole pages inside [data, data + bytes), if there are at
// least kPrefaultBytesMin of them; the range must be writable memory the
// caller owns (a vector's reserved storage, an arena block).
void PrefaultForWrite(const void* data, size_t bytes);
inline constexpr size_t kPrefaultBytesMin = 256 * 1024;

// Reserves room for `count` elements in `v` and populates the room past
// the elements it already holds.
template <class T>
void ReservePrefaulted(std::vector<T>& v, size_t count) {
  v.reserve(count);
  if (count > v.size()) PrefaultForWrite(v.data() + v.size(), (count - v.size()) * sizeof(T));
}

// Makes room for one more element in `v`, which grows by doubling: once the
// new block is large enough to be worth it, the block is populated before
// the elements move in, where std::vector's own growth would fault on every
// page of it as it copies and appends (a replay grows per-cluster vectors
// this way, to tens of megabytes). Call before push_back/emplace_back.
template <class T>
void GrowPrefaulted(std::vector<T>& v) {
  // Below this, the doubled block would be too small for PrefaultForWrite.
  if (v.size() < v.capacity() || v.capacity() * sizeof(T) < kPrefaultBytesMin) return;
  std::vector<T> grown;
  ReservePrefaulted(grown, 2 * v.capacity());
  grown.insert(grown.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
  v.swap(grown);
}

// The same for a string that grows by appends: room for `more` bytes.
inline void GrowPrefaulted(std::string& s, size_t more) {
  if (s.size() + more <= s.capacity() || s.capacity() < kPrefaultBytesMin) return;
  std::string grown;
  grown.reserve(std::max(2 * s.capacity(), s.size() + more));
  PrefaultForWrite(grown.data(), grown.capacity());
  grown.append(s);
  s.swap(grown);
}

}  // namespace tranche
