#include "itwin/data/attribute.hpp"

#include <cstdio>

#include "itwin/util/strings.hpp"

namespace itwin::data {
namespace {

std::string number_str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return buf;
}

}  // namespace

std::optional<double> Attribute::number() const {
  if (numbers.empty()) return std::nullopt;
  return numbers.front();
}

std::string Attribute::text() const {
  if (is_text()) return join(texts, ", ");
  return str();
}

std::string Attribute::str() const {
  std::vector<std::string> parts;
  for (const auto& t : texts) parts.push_back("'" + t + "'");
  for (double v : numbers) parts.push_back(number_str(v));
  if (parts.size() == 1) return parts.front();
  return "[" + join(parts, ", ") + "]";
}

const Attribute* find_attribute(const std::vector<Attribute>& attributes, const std::string& name) {
  for (const auto& a : attributes)
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace itwin::data
