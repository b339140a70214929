// Feature by feature, spct's Jinja interpreter against Jinja2 itself in the environment transformers renders chat
// templates in (trim_blocks, lstrip_blocks, loop controls, its tojson, raise_exception, namespace): every snippet
// must render byte for byte as Jinja2 renders it, or fail where Jinja2 fails.
#include <catch2/catch.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "models/tokenizer/jinja/template.h"
#include "tests/unit/chat_template/reference.h"

using nlohmann::ordered_json;

namespace {

struct Snippet {
  std::string source;
  ordered_json variables;
};

const ordered_json kMessages = ordered_json::parse(R"([
  {"role": "system", "content": "  Be brief.\n"},
  {"role": "user", "content": "Héllo <think>x</think> wörld 🙂"},
  {"role": "assistant", "content": "Hi!", "tool_calls": [{"function": {"name": "f", "arguments": {"b": [1, 2.5, null], "a": "ü\"\n"}}}]},
  {"role": "user", "content": "  a  b\tc  "}
])");

std::vector<Snippet> snippets() {
  const ordered_json chat = {{"messages", kMessages}, {"bos_token", "<s>"}, {"add_generation_prompt", true}};
  const ordered_json none = ordered_json::object();
  return {
      // loops and the loop object
      {"{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}"
       "{{ loop.revindex }}{{ loop.revindex0 }}|{% endfor %}",
       chat},
      {"{% for m in messages %}{{ loop.previtem.role if loop.previtem is defined else '-' }}>{{ m.role }}>"
       "{{ loop.nextitem.role | default('end') }} {{ loop.cycle('a', 'b') }}\n{% endfor %}",
       chat},
      {"{% for k, v in {'b': 1, 'a': [2, 3], 'c': {'d': none}}.items() %}{{ k }}={{ v }};{% endfor %}", none},
      {"{% for k in {'z': 1, 'y': 2} %}{{ k }}{% endfor %}|{% for c in 'héy' %}[{{ c }}]{% endfor %}", none},
      {"{% for m in messages if m.role == 'user' %}{{ loop.index }}/{{ loop.length }}:{{ m.content }}|{% endfor %}",
       chat},
      {"{% for x in [] %}no{% else %}empty{% endfor %}{% for x in missing %}no{% else %}undefined{% endfor %}", none},
      {"{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i > 5 %}{% break %}{% endif %}{{ i }}"
       "{% endfor %}",
       none},
      {"{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }},{% endfor %}{{ range(2, 11, 3) | list }}{{ range(5, 0, -2) | "
       "list }}",
       none},
      {"{% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %} {{ messages[1:3] | map(attribute='role') | join(',') "
       "}}",
       chat},
      // conditionals and expressions
      {"{% if messages[0].role == 'system' %}sys{% elif messages | length > 2 %}many{% else %}few{% endif %}", chat},
      {"{{ 1 + 2 * 3 - 4 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }}"
       " {{ 1 / 3 }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1.5e-7 }} {{ 10 / 2 }} {{ -0.0 }} {{ 3 * 'ab' }} {{ [1] * 3 }}",
       none},
      {"{{ 'a' ~ 1 ~ none ~ true ~ [1, 'b'] ~ {'k': 'v'} }} {{ 'x' if false }}! {{ none }} {{ missing }}.", none},
      {"{{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 < 2 < 3 }} {{ 'ell' in 'hello' }}"
       " {{ 3 not in [1, 2] }} {{ 'k' in {'k': 1} }} {{ not 0 }} {{ 0 or 'x' }} {{ 1 and [] }}",
       none},
      {"{{ (messages | length - 1) - 1 }} {{ messages[-1]['role'] }} {{ messages[0].content[2:6] }} {{ 'abc'[-1] }}",
       chat},
      // string methods
      {"[{{ messages[0].content.strip() }}][{{ '  x '.lstrip() }}][{{ 'xxaxx'.strip('x') }}][{{ "
       "'\\n\\nhi\\n'.rstrip('\\n') }}]"
       "{{ 'a,b,,c'.split(',') }}{{ ' a  b '.split() }}{{ 'a b c'.split(' ', 1) }}{{ 'a.b.c'.rsplit('.', 1) }}"
       "{{ 'x</think>y</think>z'.split('</think>')[-1] }}",
       chat},
      {"{{ 'Hello'.startswith('He') }}{{ 'Hello'.endswith(('x', 'lo')) }}{{ 'hello world'.title() }}{{ 'ABC'.lower() }}"
       "{{ 'abc'.upper() }}{{ 'hELLO'.capitalize() }}{{ 'aXbXc'.replace('X', '-') }}{{ 'aXbXc'.replace('X', '', 1) }}"
       "{{ 'banana'.find('an') }}{{ 'banana'.rfind('an') }}{{ 'banana'.count('a') }}{{ '-'.join(['a', 'b']) }}"
       "{{ 'a\\nb\\r\\nc'.splitlines() }}{{ ' '.isspace() }}{{ '12'.isdigit() }}",
       none},
      // filters
      {"[{{ '  t  ' | trim }}][{{ 'xxtxx' | trim('x') }}]{{ messages | length }}{{ 'héllo' | length }}{{ {'a': 1} | "
       "count }}"
       "{{ missing | default('d') }}{{ '' | default('e', true) }}{{ none | default('n') }}{{ false | d('f', "
       "boolean=true) }}",
       chat},
      {"{{ messages[2].tool_calls[0].function.arguments | tojson }}\n{{ messages[2] | tojson(indent=2) }}\n"
       "{{ {'b': 1, 'a': [1.0, 'é', none, true]} | tojson(sort_keys=true) }}{{ '<&>\\'' | tojson }}{{ 'x\\u0001' | "
       "tojson }}",
       chat},
      {"{{ [3, 1, 2] | sort }}{{ ['b', 'A', 'c'] | sort }}{{ ['b', 'A', 'c'] | sort(case_sensitive=true) }}"
       "{{ messages | sort(attribute='role') | map(attribute='role') | list }}{{ [1, 2, 1, 3] | unique | list }}"
       "{{ [1, 2, 3] | reverse | list }}{{ 'abc' | reverse }}{{ [1, 2, 3] | first }}{{ [1, 2, 3] | last }}"
       "{{ [4, 1, 9] | max }}{{ [4, 1, 9] | min }}{{ [1, 2, 3] | sum }}{{ [1, 2] | join('+') }}",
       chat},
      {"{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | map('trim') | list }}"
       "{{ messages | rejectattr('tool_calls', 'defined') | list | length }}{{ [0, 1, '', 'a', none] | select | list }}"
       "{{ [1, 2, 3, 4] | reject('odd') | list }}{{ [1, 2, 3, 4] | select('divisibleby', 2) | list }}"
       "{{ {'b': 2, 'a': 1} | dictsort }}{{ {'a': 1} | items | list }}",
       chat},
      {"{{ '3' | int + 1 }}{{ 'x' | int }}{{ '2.5' | float }}{{ 3.7 | int }}{{ -3 | abs }}{{ 2.567 | round(2) }}"
       "{{ 2.5 | round }}{{ 3 | string }}{{ 'ab' | upper }}{{ 'AB' | lower }}{{ 'a b' | title }}{{ 'a b c' | wordcount "
       "}}"
       "{{ 'x<y' | e }}{{ 'aa' | replace('a', 'b') }}{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}",
       none},
      // tests
      {"{% for v in [none, 1, 1.5, true, 'x', [1], {'a': 1}, missing] %}{{ v is none }}{{ v is defined }}"
       "{{ v is string }}{{ v is number }}{{ v is integer }}{{ v is float }}{{ v is boolean }}{{ v is mapping }}"
       "{{ v is iterable }}{{ v is sequence }}{{ v is true }}{{ v is false }}|{% endfor %}"
       "{{ 3 is odd }}{{ 4 is even }}{{ 4 is divisibleby 2 }}{{ 1 is lt(2) }}{{ 'a' is in('abc') }}{{ 'x' is lower }}"
       "{{ none is sameas none }}{{ 2 is gt 1 }}{{ x is not defined }}",
       none},
      // set, namespace, macros
      {"{% set ns = namespace(n=0, seen=[]) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% set ns.seen = ns.seen"
       " + [m.role] %}{% set local = 'inner' %}{% endfor %}{{ ns.n }}{{ ns.seen }}{{ local is defined }}"
       "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set block %}  captured {{ a }}{% endset %}[{{ block }}]",
       chat},
      {"{% macro render(m, prefix='>') %}{{ prefix }}{{ m.role | upper }}{% endmacro %}{% for m in messages %}"
       "{{ render(m) }}{{ render(m, prefix='#') }}{% endfor %}{% macro rec(n) %}{{ n }}{% if n > 0 %}{{ rec(n - 1) }}"
       "{% endif %}{% endmacro %}{{ rec(3) }}",
       chat},
      {"{% set d = dict(a=1, b='x') %}{{ d }}{{ d.get('a') }}{{ d.get('z', 'no') }}{{ d.keys() | list }}"
       "{{ d.values() | list }}{{ d['b'] }}{{ d.missing | default('m') }}",
       none},
      // whitespace control
      {"a  \n  {% if true %}\n    b\n  {% endif %}\n  c\n{%- if true -%}\n   d   \n{%- endif -%}  \n e {# c #}\n f\n"
       "  {#- x -#}  g {{- ' h ' -}} i\n  {%+ if true %}j{% endif +%}\n k {% raw %}{{ not }}{% endraw %}\n",
       none},
      {"{%- for m in messages %}\n    {{- m.role }}\n    {%- if not loop.last %}, {% endif %}\n{%- endfor %}\n\n",
       chat},
      {"line1\r\nline2\r  {% if true %}\r\n x\r\n  {% endif %}\r\n", none},
      // failures both must report
      {"{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}", none},
      {"{% if messages[0].role != 'user' %}{{ raise_exception('only ' ~ 'user first') }}{% endif %}", chat},
      {"{{ missing.attribute }}", none},
      {"{{ 'a' + 1 }}", none},
      {"{{ messages[0].content + none }}", chat},
      {"{{ 1 / 0 }}", none},
      {"{% for x in 5 %}{% endfor %}", none},
      {"{{ missing | tojson }}", none},
  };
}

}  // namespace

TEST_CASE("Jinja features render as transformers' Jinja2 environment renders them", "[jinja][reference]") {
  const std::vector<Snippet> cases = snippets();
  ordered_json request = ordered_json::array();
  for (const Snippet& snippet : cases)
    request.push_back({{"template", snippet.source}, {"variables", snippet.variables}});
  const ordered_json answer = spct::testing::run_chat_reference(request);
  const ordered_json& results = answer.at("results");
  REQUIRE(results.size() == cases.size());
  size_t identical = 0, failed_alike = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("snippet " << i << ": " << cases[i].source);
    const ordered_json& expected = results[i];
    std::string rendered, error;
    try {
      rendered = spct::tokenizer::jinja::Template::parse(cases[i].source).render(cases[i].variables);
    } catch (const spct::tokenizer::jinja::TemplateError& e) {
      error = e.what();
    }
    if (expected.contains("text")) {
      CHECK(error.empty());
      CHECK(rendered == expected["text"].get<std::string>());
      identical += error.empty() && rendered == expected["text"].get<std::string>();
    } else {
      INFO("Jinja2: " << expected.dump());
      CHECK_FALSE(error.empty());
      if (expected["error"] == "TemplateError")
        CHECK_THAT(error, Catch::Matchers::Contains(expected["message"].get<std::string>()));
      failed_alike += !error.empty();
    }
  }
  std::cout << "jinja reference: " << cases.size() << " snippets, " << identical << " rendered identically, "
            << failed_alike << " failed in both (Jinja2 of transformers " << answer["transformers"].get<std::string>()
            << ")\n";
}
