#include <catch2/catch.hpp>

#include "core/config/loader.h"
#include "core/config/presets.h"
#include "core/config/render.h"
#include "core/error.h"
#include "tests/unit/config/load_error.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using spct::config::Config;
using spct::config::load_config;
using spct::config::Origin;
using spct::testing::load_error;
using spct::testing::TempDir;

TEST_CASE("the dapo preset sets DAPO's combination and names itself as the origin", "[config][preset]") {
  TempDir dir;
  const std::string file = dir.write("a.yaml", "grpo:\n  preset: dapo\n");
  const auto resolved = load_config(file, {});
  const Config defaults;
  CHECK(defaults.grpo.beta != 0);  // the preset changes something
  CHECK(resolved.config.grpo.beta == 0);
  CHECK(resolved.config.grpo.loss_aggregation == spct::config::LossAggregation::kTokenMean);
  CHECK(resolved.config.grpo.clip_low == 0.2);
  CHECK(resolved.config.grpo.clip_high == 0.28);
  CHECK(resolved.config.grpo.dynamic_sampling);
  CHECK_FALSE(defaults.reward.overlong_shaping);
  CHECK(resolved.config.reward.overlong_shaping);  // DAPO's soft overlong punishment, outside grpo.*
  CHECK(resolved.origins.at("reward.overlong_shaping").str() == "preset dapo");
  CHECK(resolved.origins.at("grpo.clip_high").str() == "preset dapo");
  CHECK(resolved.origins.at("grpo.lr").str() == "default");
  // config show prints the origin next to each value.
  const std::string shown = spct::config::render_annotated(resolved);
  const size_t line = shown.find("clip_high: 0.28 ");
  REQUIRE(line != std::string::npos);
  CHECK(shown.substr(line, shown.find('\n', line) - line).ends_with("# preset dapo"));
}

TEST_CASE("a file and the command line still override a preset's keys", "[config][preset]") {
  TempDir dir;
  const std::string file = dir.write("a.yaml", "grpo:\n  preset: dapo\n  clip_high: 0.3\n");
  const auto resolved = load_config(file, {"grpo.dynamic_sampling=false"});
  CHECK(resolved.config.grpo.clip_high == 0.3);
  CHECK(resolved.origins.at("grpo.clip_high").kind == Origin::Kind::kFile);
  CHECK(resolved.origins.at("grpo.clip_high").location.line == 3);
  CHECK_FALSE(resolved.config.grpo.dynamic_sampling);
  CHECK(resolved.origins.at("grpo.dynamic_sampling").kind == Origin::Kind::kOverride);
  CHECK(resolved.config.grpo.beta == 0);  // untouched preset keys stay
}

TEST_CASE("a preset named on the command line replaces the file's", "[config][preset]") {
  TempDir dir;
  dir.write("base.yaml", "grpo:\n  preset: dapo\n");
  const std::string file = dir.write("a.yaml", "extends: base.yaml\nrun:\n  steps: 3\n");
  const auto from_base = load_config(file, {});
  CHECK(from_base.config.grpo.clip_high == 0.28);  // a base file's preset applies
  const auto resolved = load_config(file, {"grpo.preset=dr_grpo"});
  CHECK_FALSE(resolved.config.grpo.std_normalize);
  CHECK(resolved.config.grpo.loss_aggregation == spct::config::LossAggregation::kSeqMeanTokenSumNorm);
  CHECK(resolved.config.grpo.clip_high == 0.2);
  CHECK(resolved.origins.at("grpo.std_normalize").str() == "preset dr_grpo");
  const auto none = load_config(file, {"grpo.preset=none"});
  CHECK(none.config.grpo.clip_high == Config{}.grpo.clip_high);
  CHECK(none.origins.at("grpo.clip_high").str() == "default");
}

TEST_CASE("the grpo preset restates DeepSeekMath's settings", "[config][preset]") {
  TempDir dir;
  const std::string file = dir.write("a.yaml", "grpo:\n  beta: 0.1\n  preset: grpo\n");
  const auto resolved = load_config(file, {"grpo.std_normalize=false", "grpo.preset=grpo"});
  CHECK(resolved.config.grpo.beta == 0.1);  // the file wins even when the preset line comes after it
  CHECK(resolved.config.grpo.kl_estimator == spct::config::KlEstimator::kK3);
  CHECK_FALSE(resolved.config.grpo.std_normalize);
}

TEST_CASE("an unknown or malformed preset is a config error naming where it was set", "[config][preset]") {
  TempDir dir;
  const std::string file = dir.write("a.yaml", "run:\n  steps: 3\ngrpo:\n  preset: dappo\n");
  const std::string error = load_error(file);
  CHECK_THAT(error, Contains("a.yaml:4:11: grpo.preset: unknown preset \"dappo\" (choose none, grpo, dr_grpo, dapo)"));
  const std::string list = dir.write("b.yaml", "grpo:\n  preset: [dapo]\n");
  CHECK_THAT(load_error(list), Contains("b.yaml:2:11: grpo.preset: expected a preset name, got a list"));
  CHECK_THAT(load_error(dir.write("c.yaml", "run:\n  steps: 3\n"), {"grpo.preset=ppo"}),
             Contains("<command line> argument 'grpo.preset=ppo': grpo.preset: unknown preset \"ppo\""));
}

TEST_CASE("the dapo preset's overlong shaping is refused when its buffer does not fit the completions",
          "[config][preset]") {
  TempDir dir;
  const std::string file = dir.write("a.yaml", "rollout:\n  max_new_tokens: 3\ngrpo:\n  preset: dapo\n");
  const std::string error = load_error(file);
  CHECK_THAT(error, Contains("reward.overlong_buffer (4) exceeds rollout.max_new_tokens (3)"));
  CHECK_THAT(error, Contains("rollout.max_new_tokens (") && Contains("a.yaml:2:19)") &&
                        Contains("reward.overlong_shaping (preset dapo)"));
  CHECK_NOTHROW(load_config(file, {"reward.overlong_shaping=false"}));
  CHECK_NOTHROW(load_config(file, {"reward.overlong_buffer=2"}));
}
