// Comparing mathematical answers the way a grader reads them, for the math_match reward.
//
// Models and datasets write one value many ways: "\boxed{\frac{1}{2}}", "$\frac12$", "1/2", "0.5", "\dfrac{1}{2}".
// normalize_math_answer() rewrites an answer into one canonical text, and math_answers_equal() compares two
// answers: equal canonical texts, or both numbers (number_parser.h) equal within tolerance, or tuples/intervals
// whose elements are pairwise equal by the same rules. The rules, in the order they apply:
//   - the contents of the last \boxed{...} or \fbox{...}, when there is one;
//   - math delimiters $...$, \(...\), \[...\] removed; "x = 3" (one variable name on the left) -> "3";
//   - \left and \right removed; \dfrac, \tfrac -> \frac; \frac12 -> \frac{1}{2}, \sqrt2 -> \sqrt{2};
//   - spacing (\, \; \: \! \quad \qquad ~ and whitespace), ^\circ, ^{\circ}, \%, %, \$, $ removed;
//   - \text{...}, \textbf{...}, \mathrm{...}, \mbox{...} unwrapped, and a trailing unit word after a number
//     dropped ("5 \text{ cm}" -> "5");
//   - thousands separators removed from numbers ("1,000" -> "1000"); a trailing "." removed;
//   - \frac{A}{B} -> A/B, parenthesising A or B unless it is a single number or letter run ("(x+1)/2").
// Not covered (compare as different): symbolic algebra (x+1 vs 1+x), set order, \pi as a number.
#pragma once

#include <string>
#include <string_view>

namespace spct::reward {

struct MathTolerance {
  double relative = 1e-6;  // of the larger magnitude of the two numbers
  double absolute = 1e-9;
};

// `answer` in canonical form, per the rules above.
std::string normalize_math_answer(std::string_view answer);

// Whether `a` and `b` denote the same answer, per the rules above. Two empty answers are not equal.
bool math_answers_equal(std::string_view a, std::string_view b, const MathTolerance& tolerance);

}  // namespace spct::reward
