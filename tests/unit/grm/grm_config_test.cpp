// The grm config section: defaults, YAML overrides and the cross-field checks.
#include <catch2/catch.hpp>

#include "core/config/loader.h"
#include "core/error.h"
#include "workers/reward/grm/prompt_template.h"

using namespace spct::config;
using Catch::Matchers::Contains;

TEST_CASE("grm defaults follow the paper and build a usable template", "[grm][config]") {
  const Config config = load_config_text("run:\n  steps: 40\n", "<test>", ".", {}).config;
  CHECK(config.grm.samples == 8);
  CHECK(config.grm.meta_samples == 0);
  CHECK(config.grm.temperature == 0.5);
  CHECK(config.grm.score_min == 1);
  CHECK(config.grm.score_max == 10);
  CHECK(config.grm.parse_fallback == spct::config::ParseFallback::kSkip);
  CHECK(config.grm.principles.size() == config.grm.principle_weights.size());
  const spct::grm::PromptTemplate prompt(spct::grm::PromptOptions::from_config(config.grm));
  CHECK(prompt.spec(3).count == 3);
}

TEST_CASE("grm fields load from YAML", "[grm][config]") {
  const Config config =
      load_config_text(
          "grm:\n  principles: [\"Brevity: be short\", \"Rigour: justify\"]\n  principle_weights: [1, 3]\n"
          "  samples: 32\n  meta_samples: 16\n  parse_fallback: middle\n  rule_weight: 0.25\n",
          "<test>", ".", {})
          .config;
  CHECK(config.grm.principles == std::vector<std::string>{"Brevity: be short", "Rigour: justify"});
  CHECK(config.grm.principle_weights == std::vector<double>{1, 3});
  CHECK(config.grm.samples == 32);
  CHECK(config.grm.meta_samples == 16);
  CHECK(config.grm.parse_fallback == spct::config::ParseFallback::kMiddle);
  CHECK(config.grm.rule_weight == 0.25);
}

TEST_CASE("inconsistent grm settings are usage errors naming the keys", "[grm][config]") {
  const auto load = [](const std::string& yaml) { return load_config_text(yaml, "<test>", ".", {}); };
  CHECK_THROWS_WITH(load("grm:\n  principle_weights: [1, 2]\n"),
                    Contains("grm.principle_weights has 2 entries but grm.principles has 5"));
  CHECK_THROWS_WITH(load("grm:\n  principle_weights: [0, 0, 0, 0, 0]\n"), Contains("grm.principle_weights"));
  CHECK_THROWS_WITH(load("grm:\n  samples: 4\n  meta_samples: 5\n"), Contains("grm.meta_samples (5) exceeds"));
  CHECK_THROWS_WITH(load("grm:\n  score_min: 5\n  score_max: 5\n"), Contains("grm.score_min (5) must be below"));
  CHECK_THROWS_WITH(load("grm:\n  principles: []\n"), Contains("grm.principles is empty"));
  CHECK_THROWS_WITH(load("grm:\n  parse_fallback: ignore\n"), Contains("grm.parse_fallback"));
  CHECK_THROWS_WITH(load("grm:\n  max_responses_per_pass: 1\n"), Contains("grm.max_responses_per_pass"));
  CHECK_THROWS_AS(load("grm:\n  rule_weight: 2\n"), spct::UsageError);
}
