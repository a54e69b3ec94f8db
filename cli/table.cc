// Renders a Table.
#include "cli/table.h"

#include <algorithm>

#include "core/check.h"

namespace tranche::cli {
namespace {

// Keeps at most `width` code points, marking a cut with "…".
std::string Clip(const std::string& text, size_t width) {
  if (DisplayWidth(text) <= width) return text;
  std::string out;
  size_t points = 0;
  for (char ch : text) {
    const bool starts_point = (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
    if (starts_point && ++points > width - 1) break;
    out += ch;
  }
  return out + "\xE2\x80\xA6";
}

}  // namespace

size_t DisplayWidth(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char ch) {
    return (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  }));
}

Table::Table(std::vector<std::string> headers) {
  for (std::string& header : headers) {
    const bool right = !header.empty() && header.front() == '>';
    aligns_.push_back(right ? Align::kRight : Align::kLeft);
    headers_.push_back(right ? header.substr(1) : header);
  }
}

void Table::AddRow(std::vector<std::string> cells) {
  TRANCHE_CHECK(cells.size() == headers_.size());
  for (std::string& cell : cells) cell = Clip(cell, kTableCellWidthMax);
  rows_.push_back(std::move(cells));
}

void Table::Print(std::FILE* out) const {
  std::vector<size_t> widths;
  for (const auto& header : headers_) widths.push_back(DisplayWidth(header));
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      const std::string padding(widths[i] - DisplayWidth(cells[i]), ' ');
      if (i > 0) line += "  ";
      line += aligns_[i] == Align::kRight ? padding + cells[i] : cells[i] + padding;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::fprintf(out, "%s\n", line.c_str());
  };
  print_row(headers_);
  std::vector<std::string> rules;
  for (size_t width : widths) rules.emplace_back(width, '-');
  print_row(rules);
  for (const auto& row : rows_) print_row(row);
}

}  // namespace tranche::cli
