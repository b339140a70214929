// Reading numbers the way people and models write them, for numeric_match.
//
// Accepted forms (surrounding whitespace ignored, an optional leading '+' or '-', an optional '$' or "\$"):
//   integers and decimals      42, -3.5, .5, 42.
//   thousands separators       1,000 and 12,345,678.9 (groups of exactly three digits after the first)
//   exponents                  1e3, 2.5E-4
//   fractions                  3/4, -3 / 4, \frac{3}{4}, \dfrac{1}{2}, \tfrac{1}{2} (denominator non-zero)
#pragma once

#include <optional>
#include <string_view>

namespace spct::reward {

// The value of `text` when the whole of it is one number in an accepted form, else nullopt.
std::optional<double> parse_number(std::string_view text);

// The value of the last number written anywhere in `text` ("so the total is 1,000." -> 1000), or nullopt when
// there is none. Used when an answer has words around the number.
std::optional<double> find_last_number(std::string_view text);

}  // namespace spct::reward
