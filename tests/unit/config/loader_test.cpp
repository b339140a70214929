#include "core/config/loader.h"

#include <catch2/catch.hpp>

#include "core/config/render.h"
#include "core/error.h"
#include "tests/unit/config/load_error.h"
#include "tests/unit/config/test_files.h"

using Catch::Matchers::Contains;
using spct::config::load_config;
using spct::config::Origin;
using spct::testing::load_error;
using spct::testing::TempDir;

TEST_CASE("a file's values override the defaults and record their line", "[config]") {
  TempDir dir;
  const std::string file = dir.write("a.yaml", "run:\n  steps: 7\nrollout:\n  group_size: 4\n  temperature: 0.5\n");
  const auto resolved = load_config(file, {});
  CHECK(resolved.config.run.steps == 7);
  CHECK(resolved.config.rollout.group_size == 4);
  CHECK(resolved.config.rollout.temperature == 0.5);
  CHECK(resolved.config.run.seed == spct::config::Config{}.run.seed);
  CHECK(resolved.origins.at("run.steps").kind == Origin::Kind::kFile);
  CHECK(resolved.origins.at("run.steps").location.line == 2);
  CHECK(resolved.origins.at("rollout.group_size").location.line == 4);
  CHECK(resolved.origins.at("run.seed").kind == Origin::Kind::kDefault);
}

TEST_CASE("extends loads bases in order and the file itself wins", "[config]") {
  TempDir dir;
  dir.write("base1.yaml", "run:\n  steps: 5\n  seed: 11\nrollout:\n  group_size: 4\n");
  dir.write("sub/base2.yaml", "run:\n  seed: 22\n");
  const std::string top = dir.write("top.yaml", "extends: [base1.yaml, sub/base2.yaml]\nrollout:\n  group_size: 16\n");
  const auto resolved = load_config(top, {});
  CHECK(resolved.config.run.steps == 5);
  CHECK(resolved.config.run.seed == 22);
  CHECK(resolved.config.rollout.group_size == 16);
  CHECK_THAT(resolved.origins.at("run.seed").str(), Contains("base2.yaml:2"));
  CHECK(resolved.files.size() == 3);
}

TEST_CASE("overrides are typed, applied last, and marked as overrides", "[config]") {
  TempDir dir;
  const std::string file = dir.write("a.yaml", "run:\n  steps: 7\n");
  const auto resolved = load_config(file, {"run.steps=9", "reward.functions=[exact_match, format]",
                                           "reward.weights=[1, 0.5]", "data.path=my data.jsonl", "data.task="});
  CHECK(resolved.config.run.steps == 9);
  CHECK(resolved.config.reward.functions == std::vector<std::string>{"exact_match", "format"});
  CHECK(resolved.config.reward.weights == std::vector<double>{1.0, 0.5});
  CHECK(resolved.config.data.path == "my data.jsonl");
  CHECK(resolved.origins.at("run.steps").kind == Origin::Kind::kOverride);

  CHECK_THAT(load_error(file, {"run.steps=many"}), Contains("run.steps: expected an integer, got 'many'"));
  CHECK_THAT(load_error(file, {"run.stepz=3"}), Contains("did you mean 'run.steps'"));
  CHECK_THAT(load_error(file, {"steps"}), Contains("must look like section.key=value"));
}

TEST_CASE("every problem is reported at once, each with file, line and key", "[config]") {
  TempDir dir;
  const std::string file =
      dir.write("bad.yaml", "run:\n  stepz: 3\n  seed: -1\nrollout:\n  temperature: hot\nmodle:\n  x: 1\n");
  const std::string message = load_error(file);
  CHECK_THAT(message, Contains("3 problems") || Contains("4 problems"));
  CHECK_THAT(message, Contains("bad.yaml:2:3: 'run.stepz' is not a known setting; did you mean 'run.steps'?"));
  CHECK_THAT(message, Contains("bad.yaml:3:9: run.seed: value -1 is out of range"));
  CHECK_THAT(message, Contains("bad.yaml:5:16: rollout.temperature: expected a finite number, got 'hot'"));
  CHECK_THAT(message, Contains("bad.yaml:6:1: 'modle' is not a config section; did you mean 'model'?"));
}

TEST_CASE("a misplaced key is pointed at the section that has it", "[config]") {
  TempDir dir;
  const std::string file = dir.write("a.yaml", "model:\n  group_size: 4\n");
  CHECK_THAT(load_error(file), Contains("did you mean 'rollout.group_size'?"));
}

TEST_CASE("enumerations list their choices and suggest the nearest", "[config]") {
  TempDir dir;
  const std::string file = dir.write("a.yaml", "grpo:\n  kl_estimator: k4\nmodel:\n  family: qwen4\n");
  const std::string message = load_error(file);
  CHECK_THAT(message, Contains("grpo.kl_estimator: 'k4' is not one of: k1, k2, k3"));
  CHECK_THAT(message, Contains("model.family: 'qwen4' is not one of: llama, qwen2, qwen3; did you mean 'qwen2'?"));
}

TEST_CASE("circular and missing extends are errors naming the chain", "[config]") {
  TempDir dir;
  dir.write("a.yaml", "extends: b.yaml\n");
  dir.write("b.yaml", "extends: c.yaml\n");
  dir.write("c.yaml", "extends: a.yaml\n");
  CHECK_THAT(load_error(dir.path() + "/a.yaml"),
             Contains("circular chain") && Contains("a.yaml -> ") && Contains("c.yaml"));
  const std::string missing = dir.write("m.yaml", "run:\n  steps: 2\nextends: nothere.yaml\n");
  CHECK_THAT(load_error(missing), Contains("m.yaml:3:10: extends: file not found") && Contains("nothere.yaml"));
}

TEST_CASE("cross-field checks name every key involved and where it was set", "[config]") {
  TempDir dir;
  const std::string file = dir.write("a.yaml", "rollout:\n  prompts_per_step: 6\nlayout:\n  learners: 4\n");
  const std::string message = load_error(file);
  CHECK_THAT(message,
             Contains("rollout.prompts_per_step (6) must be divisible by layout.learners x grpo.minibatches (4)"));
  CHECK_THAT(message, Contains("layout.learners (") && Contains("a.yaml:4:13)"));
  CHECK_THAT(message, Contains("grpo.minibatches (default)"));
}

TEST_CASE("a remote GRM whose retries cannot end within the step deadline is refused, naming the keys", "[config]") {
  TempDir dir;
  const std::string base = "reward:\n  functions: [grm]\ngrm:\n  backend: remote\n  remote_url: http://127.0.0.1:9\n";
  // The defaults fit: 4 attempts of 120 s and their backoff end before timeouts.step_s = 600 s.
  CHECK_NOTHROW(load_config(dir.write("ok.yaml", base), {}));

  // 4 attempts of 150 s: 600 s and backoff, not less than the step deadline.
  const std::string slow = dir.write("slow.yaml", base + "  remote_timeout_s: 150\n");
  std::string message = load_error(slow);
  CHECK_THAT(message, Contains("a remote GRM that stops answering can hold a reward worker for 602.625 s (4 attempts "
                               "of grm.remote_timeout_s = 150 s, grm.remote_retries + 1, plus up to 2.625 s of "
                               "backoff), which does not fit timeouts.step_s = 600 s"));
  CHECK_THAT(message, Contains("grm.remote_timeout_s (") && Contains("slow.yaml:6:21)") &&
                          Contains("grm.remote_retries (default)") && Contains("timeouts.step_s (default)"));
  CHECK_NOTHROW(load_config(slow, {"timeouts.step_s=603"}));

  // More breaker failures than attempts per request: the breaker's count is the bound.
  const std::string breaker = dir.write(
      "breaker.yaml", base + "  remote_timeout_s: 10\n  remote_breaker_failures: 6\ntimeouts:\n  step_s: 60\n");
  message = load_error(breaker);
  CHECK_THAT(message, Contains("(6 attempts of grm.remote_timeout_s = 10 s, grm.remote_breaker_failures") &&
                          Contains("grm.remote_breaker_failures (") && Contains("breaker.yaml:7:28)") &&
                          Contains("timeouts.step_s (") && Contains("breaker.yaml:9:11)"));
  CHECK_NOTHROW(load_config(breaker, {"grm.remote_breaker_failures=0"}));
  // Only a run that scores with the remote GRM waits on it.
  CHECK_NOTHROW(load_config(slow, {"reward.functions=[exact_match]"}));
}

TEST_CASE("the config hash ignores formatting and key order but not values", "[config]") {
  TempDir dir;
  const std::string a = dir.write("a.yaml", "run:\n  steps: 7\n  seed: 3\n");
  const std::string b = dir.write("b.yaml", "# same values, other order\nrun: {seed: 3, steps: 7}\n");
  const std::string c = dir.write("c.yaml", "run:\n  steps: 7\n  seed: 4\n");
  const auto hash = [](const std::string& path) { return spct::config::config_hash(load_config(path, {}).config); };
  CHECK(hash(a) == hash(b));
  CHECK(hash(a) != hash(c));
  CHECK(hash(a).size() == 64);
}

TEST_CASE("config show output loads back to the same config", "[config]") {
  TempDir dir;
  const std::string file = dir.write("a.yaml", "run:\n  steps: 7\nrollout:\n  stop: [\"\\n\", \"a \\\"b\\\"\"]\n");
  const auto first = load_config(file, {"grpo.lr=0.001"});
  const std::string shown = dir.write("shown.yaml", spct::config::render_annotated(first));
  const auto second = load_config(shown, {});
  CHECK(spct::config::config_hash(first.config) == spct::config::config_hash(second.config));
  CHECK(second.config.rollout.stop == std::vector<std::string>{"\n", "a \"b\""});
  CHECK_THAT(spct::config::render_annotated(first), Contains("# override") && Contains("# default"));
}

TEST_CASE("a prompt file's field names and answer extraction are config keys, checked where they are set",
          "[config][data]") {
  TempDir dir;
  const std::string file =
      dir.write("gsm8k.yaml",
                "data:\n  task: \"\"\n  path: gsm8k.parquet\n  prompt_field: question\n  answer_field: solution\n"
                "  answer_extraction: gsm8k\n");
  const auto resolved = load_config(file, {});
  CHECK(resolved.config.data.prompt_field == "question");
  CHECK(resolved.config.data.answer_field == "solution");
  CHECK(resolved.config.data.messages_field == "messages");
  CHECK(resolved.config.data.answer_extraction == spct::config::ReferenceExtraction::kGsm8k);
  CHECK(resolved.origins.at("data.answer_extraction").location.line == 6);

  CHECK_THAT(load_error(file, {"data.answer_extraction=latex"}),
             Contains("data.answer_extraction: 'latex' is not one of: none, gsm8k, boxed"));
  const std::string same = load_error(file, {"data.id_field=question"});
  CHECK_THAT(same, Contains("data.prompt_field and data.id_field are both \"question\""));
  CHECK_THAT(same, Contains("data.prompt_field (") && Contains("gsm8k.yaml:4:17)") && Contains("(override)"));
  CHECK_THAT(load_error(file, {"data.answer_field="}), Contains("data.answer_field is empty"));
}
