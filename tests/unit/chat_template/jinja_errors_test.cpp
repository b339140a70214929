// The interpreter's contract on bad and hostile templates: errors name the template line and column, and the
// limits stop runaway templates with an error instead of a hang, a crash or unbounded memory.
#include <catch2/catch.hpp>
#include <string>

#include "models/tokenizer/jinja/template.h"

using Catch::Matchers::Contains;
using nlohmann::ordered_json;
using spct::tokenizer::jinja::Limits;
using spct::tokenizer::jinja::Template;
using spct::tokenizer::jinja::TemplateError;

namespace {

// The error of parsing and rendering `source` (fails the test when there is none).
TemplateError error_of(const std::string& source, const ordered_json& variables = ordered_json::object(),
                       const Limits& limits = {}) {
  try {
    (void)Template::parse(source, limits).render(variables);
  } catch (const TemplateError& error) {
    return error;
  }
  FAIL("no error for: " << source);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("syntax errors name the template line and column", "[jinja]") {
  const TemplateError unclosed = error_of("a\nb {% if x %}\nc");
  CHECK(unclosed.line() == 3);
  CHECK_THAT(unclosed.message(), Contains("missing {% endif %}") && Contains("line 2, column 3"));

  const TemplateError bad_expression = error_of("line\n  {{ 1 + }}");
  CHECK(bad_expression.line() == 2);
  CHECK(bad_expression.column() == 10);
  CHECK_THAT(bad_expression.what(), Contains("line 2, column 10") && Contains("expected an expression"));

  CHECK_THAT(error_of("{% include 'x' %}").message(), Contains("unknown tag 'include'"));
  CHECK_THAT(error_of("{% endfor %}").message(), Contains("unexpected 'endfor'"));
  CHECK_THAT(error_of("{% break %}").message(), Contains("outside a for loop"));
  CHECK_THAT(error_of("{{ 'open }}").message(), Contains("unterminated string"));
  CHECK_THAT(error_of("{{ x ").message(), Contains("missing end of expression"));
  CHECK_THAT(error_of("{# never closed").message(), Contains("missing end of comment"));
  CHECK_THAT(error_of("{{ (1 }}").message(), Contains("unexpected '}'"));
  CHECK_THAT(error_of("{{ 99999999999999999999 }}").message(), Contains("too large"));
  CHECK_THAT(error_of(std::string("ok \xff bad")).message(), Contains("not valid UTF-8"));
  CHECK(error_of(std::string("ok \xff bad")).column() == 4);
}

TEST_CASE("runtime errors name where they happened and raise_exception carries its message", "[jinja]") {
  const TemplateError raised = error_of("x\n  {{ raise_exception('no system turns, please') }}");
  CHECK(raised.raised());
  CHECK(raised.message() == "no system turns, please");
  CHECK(raised.line() == 2);

  const TemplateError undefined = error_of("{{ messages[0].content.strip() }}", {{"messages", ordered_json::array()}});
  CHECK_FALSE(undefined.raised());
  CHECK_THAT(undefined.message(), Contains("no element 0"));
  CHECK_THAT(error_of("{{ 'a' + 1 }}").message(), Contains("unsupported operand type(s) for +: 'str' and 'int'"));
  CHECK_THAT(error_of("{{ x | nosuchfilter }}").message(), Contains("unknown filter 'nosuchfilter'"));
  CHECK_THAT(error_of("{{ x is nosuchtest }}").message(), Contains("unknown test 'nosuchtest'"));
  CHECK_THAT(error_of("{% set x = 1 %}{% set x.a = 2 %}").message(), Contains("not a namespace()"));
  CHECK_THAT(error_of("{{ 9223372036854775807 + 1 }}").message(), Contains("integer overflow"));
  CHECK_THROWS_AS(Template::parse("{{ x }}").render(ordered_json::array()), TemplateError);
}

TEST_CASE("limits stop runaway templates", "[jinja]") {
  Limits limits;
  limits.max_steps = 100'000;
  limits.max_output_bytes = 1 << 16;
  limits.max_nesting = 40;

  CHECK_THAT(error_of("{% for i in range(1000000) %}{% for j in range(1000000) %}{% endfor %}{% endfor %}",
                      ordered_json::object(), limits)
                 .message(),
             Contains("more than 100000 steps"));
  CHECK_THAT(
      error_of("{% for i in range(100) %}{{ 'x' * 1000 }}{% endfor %}", ordered_json::object(), limits).message(),
      Contains("longer than 65536 bytes"));
  CHECK_THAT(error_of("{{ 'x' * 100000000000 }}", ordered_json::object(), limits).message(), Contains("larger than"));
  CHECK_THAT(
      error_of("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
               ordered_json::object(), limits)
          .message(),
      Contains("longer than"));
  CHECK_THAT(
      error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", ordered_json::object(), limits).message(),
      Contains("recurses deeper than"));
  CHECK_THAT(
      error_of("{{ " + std::string(1000, '(') + "1" + std::string(1000, ')') + " }}", ordered_json::object(), limits)
          .message(),
      Contains("nests deeper than 40"));
  CHECK_THAT(error_of("{{ " + std::string(1000, '[') + std::string(1000, ']') + " }}", ordered_json::object(), limits)
                 .message(),
             Contains("nests deeper than 40"));
  CHECK_THAT(error_of("{% set ns = namespace() %}{% set ns.self = ns %}", ordered_json::object(), limits).message(),
             Contains("contains itself"));
  CHECK_THAT(error_of("{% set ns = namespace(l=[]) %}{% for i in range(100) %}{% set ns.l = [ns.l] %}{% endfor %}",
                      ordered_json::object(), limits)
                 .message(),
             Contains("nests deeper than 40"));

  // Within the limits the same constructs work.
  CHECK(Template::parse("{% for i in range(3) %}{{ i }}{% endfor %}", limits).render(ordered_json::object()) == "012");
}
