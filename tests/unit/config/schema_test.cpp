#include "core/config/schema.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "core/config/loader.h"
#include "core/config/render.h"
#include "core/config/suggest.h"
#include "core/config/yaml_quote.h"

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

namespace {

ConfigNode scalar_at_line_3(const std::string& text) {
  ConfigNode node;
  node.kind = ConfigNode::Kind::kScalar;
  node.scalar = text;
  node.location = {"t.yaml", 3, 5};
  return node;
}

}  // namespace

TEST_CASE("every choice a field lists is stored and rendered back as written", "[schema]") {
  int fields_with_choices = 0;
  for (const FieldSpec& field : schema()) {
    if (field.type != FieldType::kString || field.choices.empty()) continue;
    ++fields_with_choices;
    for (const std::string& choice : field.choices) {
      INFO(field.key << " = " << choice);
      Config config;
      field.assign(config, scalar_at_line_3(choice));
      CHECK(field.render(config) == yaml_double_quoted(choice));
    }
    Config config;
    CHECK_THROWS_WITH(field.assign(config, scalar_at_line_3("no_such_choice")),
                      Catch::Matchers::StartsWith("t.yaml:3:5: " + field.key + ": 'no_such_choice' is not one of: "));
  }
  CHECK(fields_with_choices > 20);
}

TEST_CASE("enumerated settings load into their enums once, spelled as in the file", "[schema]") {
  // Each table round-trips, and a field declared with add_choice accepts exactly the enum's spellings.
  for (const std::string& name : choice_names<LossAggregation>()) {
    CHECK(to_string(*from_string<LossAggregation>(name)) == name);
  }
  CHECK_FALSE(from_string<RolloutMode>("Async").has_value());
  CHECK(find_field("grpo.kl_estimator")->choices == choice_names<KlEstimator>());
  CHECK(find_field("model.device")->choices == choice_names<Device>());

  const ResolvedConfig resolved = load_config_text(
      "rollout:\n  mode: async\ngrpo:\n  kl_estimator: k1\n  loss_aggregation: token_mean\n  lr_schedule: cosine\n"
      "model:\n  family: llama\n  dtype: bfloat16\n  device: cpu\n",
      "<test>", ".", {"grpo.kl_in=reward", "observe.rollout_log_compress=none"});
  const Config& c = resolved.config;
  CHECK(c.rollout.mode == RolloutMode::kAsync);
  CHECK(c.grpo.kl_estimator == KlEstimator::kK1);
  CHECK(c.grpo.loss_aggregation == LossAggregation::kTokenMean);
  CHECK(c.grpo.lr_schedule == LrDecay::kCosine);
  CHECK(c.grpo.kl_in == KlPlacement::kReward);
  CHECK(c.model.family == ModelFamily::kLlama);
  CHECK(c.model.dtype == ModelDType::kBFloat16);
  CHECK(c.model.device == Device::kCpu);
  CHECK(c.observe.rollout_log_compress == RolloutLogCompression::kNone);
  CHECK(find_field("rollout.mode")->render(c) == "\"async\"");
}

TEST_CASE("log level, chat templates, tasks, answer formats, parse fallback and progress are enums", "[schema]") {
  // data.task's "" (prompts from data.path) is a spelling like any other.
  CHECK(to_string(DataTask::kNone).empty());
  CHECK(find_field("data.task")->choices == choice_names<DataTask>());
  CHECK(find_field("tokenizer.chat_template")->choices == choice_names<ChatTemplateChoice>());
  CHECK(find_field("tokenizer.chat_template_fallback")->choices == choice_names<ChatTemplate>());
  for (const std::string& name : choice_names<ChatTemplateChoice>()) {
    const ChatTemplateChoice choice = *from_string<ChatTemplateChoice>(name);
    const std::optional<ChatTemplate> builtin = builtin_template(choice);
    CHECK(builtin.has_value() == (name != "model" && name != "auto"));
    if (builtin) CHECK(to_string(*builtin) == name);
  }
  for (const std::string& name : choice_names<DataTask>()) {
    const std::optional<TaskKind> kind = synthetic_task(*from_string<DataTask>(name));
    CHECK(kind.has_value() == (name != "" && name != "preference"));
    if (kind) CHECK(to_string(*kind) == name);
  }

  const ResolvedConfig resolved = load_config_text(
      "run:\n  log_level: warn\ntokenizer:\n  chat_template: auto\n  chat_template_fallback: llama3\n"
      "data:\n  task: \"\"\n  path: x.jsonl\n  preference_task: tally\n  answer_extraction: gsm8k\n",
      "<test>", ".", {"reward.answer_format=boxed", "grm.parse_fallback=fail", "observe.progress=lines"});
  const Config& c = resolved.config;
  CHECK(c.run.log_level == LogLevel::kWarn);
  CHECK(c.tokenizer.chat_template == ChatTemplateChoice::kAuto);
  CHECK(c.tokenizer.chat_template_fallback == ChatTemplate::kLlama3);
  CHECK(c.data.task == DataTask::kNone);
  CHECK(c.data.preference_task == TaskKind::kTally);
  CHECK(c.data.answer_extraction == ReferenceExtraction::kGsm8k);
  CHECK(c.reward.answer_format == AnswerFormat::kBoxed);
  CHECK(c.grm.parse_fallback == ParseFallback::kFail);
  CHECK(c.observe.progress == ProgressSetting::kLines);
  CHECK(find_field("data.task")->render(c) == "\"\"");
  CHECK(find_field("tokenizer.chat_template")->render(c) == "\"auto\"");
}
