#pragma once
/// Attributes of scientific files (NetCDF, HDF5): named numbers or texts that
/// describe a file, a variable or a dataset (units, sample rate, fill value).

#include <optional>
#include <string>
#include <vector>

namespace itwin::data {

struct Attribute {
  std::string name;
  std::vector<double> numbers;     ///< numeric values, converted to double (empty for text)
  std::vector<std::string> texts;  ///< text values (a NetCDF char attribute is one text)

  bool is_text() const { return !texts.empty(); }
  /// The first number, if the attribute is numeric and not empty.
  std::optional<double> number() const;
  /// Texts joined by ", ", or the numbers as written by str().
  std::string text() const;
  /// For listings: 'degC', 500, [1, 2.5], ['a', 'b'].
  std::string str() const;
};

/// The attribute called `name`, or nullptr.
const Attribute* find_attribute(const std::vector<Attribute>& attributes, const std::string& name);

}  // namespace itwin::data
