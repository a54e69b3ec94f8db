// Table: a plain-text table for people, columns padded to their widest cell.
//
// Widths count UTF-8 code points, so "£1,234.56" lines up with ASCII text.
// Thread-safety: a value; use from one thread.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace tranche::cli {

// A cell wider than this is cut with "…" so one long name cannot push every
// other column off the screen.
inline constexpr size_t kTableCellWidthMax = 48;

class Table {
 public:
  enum class Align { kLeft, kRight };

  // One entry per column; a header starting with '>' is right-aligned (the
  // '>' is not printed): money and counts read best that way.
  explicit Table(std::vector<std::string> headers);

  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  void Print(std::FILE* out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

// Code points in a UTF-8 string.
size_t DisplayWidth(const std::string& text);

}  // namespace tranche::cli
