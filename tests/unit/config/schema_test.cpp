#include "core/config/schema.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "core/config/render.h"
#include "core/config/suggest.h"

using namespace spct::config;

TEST_CASE("every schema key is unique, documented, and its default is valid", "[schema]") {
  std::set<std::string> keys;
  const Config defaults;
  for (const FieldSpec& field : schema()) {
    INFO(field.key);
    CHECK(keys.insert(field.key).second);
    CHECK(field.doc.size() > 10);
    // The default must pass the field's own checks: feed its rendering back in as YAML.
    const std::string section = field.section();
    const std::string yaml =
        section + ":\n  " + field.key.substr(section.size() + 1) + ": " + field.render(defaults) + "\n";
    CHECK_NOTHROW(load_config_text(yaml, "<test>", ".", {}));
  }
  CHECK(keys.size() > 40);
}

TEST_CASE("docs/configuration.md is the schema's rendering", "[schema]") {
  std::ifstream in(std::string(SPCT_SOURCE_DIR) + "/docs/configuration.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  // On failure: build/orchestrator/spct config docs > docs/configuration.md
  CHECK(text.str() == render_reference_markdown());
}

TEST_CASE("edit distance and suggestions", "[schema]") {
  CHECK(edit_distance("steps", "stpes") == 1);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(closest_word("grup_size", {"group_size", "seed"}) == "group_size");
  CHECK(closest_word("zzzzzz", {"group_size", "seed"}).empty());
  CHECK(suggest_key("rollout.temprature") == "rollout.temperature");
}
