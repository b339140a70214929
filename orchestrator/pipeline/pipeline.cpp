#include "orchestrator/pipeline/pipeline.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <set>

#include "core/atomic_file.h"
#include "core/config/checks.h"
#include "core/config/loader.h"
#include "core/config/yaml_reader.h"
#include "core/error.h"
#include "orchestrator/pipeline/inline_config.h"

namespace spct::pipeline {
namespace fs = std::filesystem;
using config::ConfigNode;
using config::SourceLocation;

namespace {

// Every problem found, so that one run of `spct pipeline show` lists them all instead of one per attempt.
class Problems {
 public:
  void add(const SourceLocation& where, const std::string& message) { lines_.push_back(where.str() + ": " + message); }
  bool empty() const { return lines_.empty(); }
  std::size_t size() const { return lines_.size(); }
  [[noreturn]] void raise(const std::string& file) const {
    std::string text = file + ": the pipeline has " + std::to_string(lines_.size()) + " problem(s):";
    for (const std::string& line : lines_) text += "\n  " + line;
    throw UsageError(text);
  }

 private:
  std::vector<std::string> lines_;
};

bool is_name(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
  });
}

// Keys of `map` outside `known` are problems (a typo would otherwise be ignored silently).
void check_keys(const ConfigNode& map, const std::vector<std::string>& known, const std::string& what,
                Problems& problems) {
  for (const ConfigNode::Entry& entry : map.entries) {
    if (std::find(known.begin(), known.end(), entry.key) != known.end()) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    problems.add(entry.key_location, "unknown key '" + entry.key + "' in " + what + " (known: " + list + ")");
  }
}

// The scalar at map[key]; a problem (and nullptr) when it is missing but required or not a scalar.
const ConfigNode* scalar(const ConfigNode& map, const std::string& key, bool required, Problems& problems) {
  const ConfigNode* node = map.find(key);
  if (node == nullptr) {
    if (required) problems.add(map.location, "missing key '" + key + "'");
    return nullptr;
  }
  if (node->kind != ConfigNode::Kind::kScalar) {
    problems.add(node->location, "'" + key + "' must be a value, not " + node->kind_name());
    return nullptr;
  }
  return node;
}

// The scalars of a list at map[key] (a single value counts as a list of one); nullopt when the key is absent.
std::optional<std::vector<const ConfigNode*>> scalar_list(const ConfigNode& map, const std::string& key,
                                                          Problems& problems) {
  const ConfigNode* node = map.find(key);
  if (node == nullptr) return std::nullopt;
  std::vector<const ConfigNode*> items;
  if (node->kind == ConfigNode::Kind::kScalar) items.push_back(node);
  if (node->kind == ConfigNode::Kind::kMap) problems.add(node->location, "'" + key + "' must be a list");
  for (const ConfigNode& item : node->items) {
    if (item.kind == ConfigNode::Kind::kScalar) {
      items.push_back(&item);
    } else {
      problems.add(item.location, "each entry of '" + key + "' must be a value, not " + item.kind_name());
    }
  }
  return items;
}

// A stage as declared, before its references and config are resolved.
struct Declared {
  Stage stage;
  std::vector<const ConfigNode*> overrides;
  const ConfigNode* config = nullptr;  // a file name (a scalar) or an inline config (a mapping)
  std::set<std::string> reachable;     // every stage this one depends on, directly or through others
};

// `value` with each ${stage} replaced by that stage's run directory; a problem for a reference to a stage that
// does not exist or that `owner` does not wait for.
std::string expand(const ConfigNode& value, const Declared& owner, const Pipeline& pipeline, Problems& problems) {
  const std::string& text = value.scalar;
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t open = text.find("${", pos);
    if (open == std::string::npos) break;
    const std::size_t close = text.find('}', open);
    if (close == std::string::npos) {
      problems.add(value.location, "unterminated '${' in '" + text + "' (write ${stage_name})");
      return text;
    }
    const std::string name = text.substr(open + 2, close - open - 2);
    out += text.substr(pos, open - pos);
    const Stage* target = pipeline.find(name);
    if (target == nullptr) {
      problems.add(value.location, "'${" + name + "}': no stage is called '" + name + "'");
    } else if (owner.reachable.count(name) == 0) {
      problems.add(value.location, "'${" + name + "}': stage '" + owner.stage.name + "' does not run after '" + name +
                                       "', so its output may not exist yet (add it to `after`)");
    } else {
      out += target->run_dir;
    }
    pos = close + 1;
  }
  return out + text.substr(pos);
}

bool sets_run_location(const std::string& override_text) {
  return override_text.rfind("run.dir=", 0) == 0 || override_text.rfind("run.name=", 0) == 0;
}

void parse_header(const ConfigNode& root, Pipeline& pipeline, Problems& problems) {
  check_keys(root, {"pipeline", "stages"}, "the pipeline file", problems);
  const ConfigNode* header = root.find("pipeline");
  std::string dir = "runs";
  if (header == nullptr || header->kind != ConfigNode::Kind::kMap) {
    problems.add(header ? header->location : root.location, "'pipeline' must be a mapping {name: ..., dir: ...}");
  } else {
    check_keys(*header, {"name", "dir"}, "'pipeline'", problems);
    if (const ConfigNode* name = scalar(*header, "name", true, problems)) {
      pipeline.name = name->scalar;
      if (!is_name(pipeline.name)) {
        problems.add(name->location, "pipeline name '" + pipeline.name + "' may hold only letters, digits, _ . -");
      }
    }
    if (const ConfigNode* d = scalar(*header, "dir", false, problems)) dir = d->scalar;
  }
  pipeline.dir = (fs::absolute(dir) / pipeline.name).lexically_normal().string();
}

std::vector<Declared> parse_stages(const ConfigNode& root, Pipeline& pipeline, Problems& problems) {
  std::vector<Declared> declared;
  const ConfigNode* stages = root.find("stages");
  if (stages == nullptr || stages->kind != ConfigNode::Kind::kSequence || stages->items.empty()) {
    problems.add(stages ? stages->location : root.location, "'stages' must be a non-empty list of stages");
    return declared;
  }
  for (const ConfigNode& node : stages->items) {
    if (node.kind != ConfigNode::Kind::kMap) {
      problems.add(node.location, "a stage must be a mapping {name, command, config, overrides, after}");
      continue;
    }
    check_keys(node, {"name", "command", "config", "overrides", "after"}, "a stage", problems);
    Declared d;
    d.stage.location = node.location;
    d.stage.command = "train";
    if (const ConfigNode* name = scalar(node, "name", true, problems)) {
      d.stage.name = name->scalar;
      if (!is_name(d.stage.name)) {
        problems.add(name->location, "stage name '" + d.stage.name + "' may hold only letters, digits, _ . -");
      }
      for (const Declared& earlier : declared) {
        if (earlier.stage.name == d.stage.name) {
          problems.add(name->location,
                       "stage name '" + d.stage.name + "' is already used at " + earlier.stage.location.str());
        }
      }
    }
    if (const ConfigNode* command = scalar(node, "command", false, problems)) {
      d.stage.command = command->scalar;
      if (d.stage.command != "train" && d.stage.command != "eval" && d.stage.command != "report") {
        problems.add(command->location, "command '" + d.stage.command + "' is not one of: train, eval, report");
      }
    }
    d.config = node.find("config");
    if (d.stage.is_report()) {
      if (d.config != nullptr || node.find("overrides") != nullptr) {
        problems.add(node.location,
                     "a report stage takes no config or overrides: it reads the eval.json of the "
                     "eval stages in its `after`");
      }
      d.config = nullptr;
    } else if (d.config == nullptr) {
      problems.add(node.location, "missing key 'config' (a config file, or the config itself as a mapping)");
    } else if (d.config->kind != ConfigNode::Kind::kScalar && d.config->kind != ConfigNode::Kind::kMap) {
      problems.add(d.config->location,
                   "'config' must be a file name or a mapping (the config inline), not " + d.config->kind_name());
      d.config = nullptr;
    }
    d.overrides = scalar_list(node, "overrides", problems).value_or(std::vector<const ConfigNode*>{});
    const auto after = scalar_list(node, "after", problems);
    if (!after.has_value() && !declared.empty()) {  // the default: right after the previous stage
      d.stage.after.push_back(declared.back().stage.name);
      d.reachable = declared.back().reachable;
      d.reachable.insert(declared.back().stage.name);
    }
    for (const ConfigNode* item : after.value_or(std::vector<const ConfigNode*>{})) {
      const auto earlier = std::find_if(declared.begin(), declared.end(),
                                        [&](const Declared& e) { return e.stage.name == item->scalar; });
      if (earlier == declared.end()) {
        problems.add(item->location, "after: '" + item->scalar + "' is not a stage declared before '" + d.stage.name +
                                         "' (stages run in file order; list them so)");
        continue;
      }
      if (d.stage.is_report() && earlier->stage.is_report()) {
        problems.add(item->location,
                     "a report reads eval and training stages; '" + item->scalar + "' is a report stage");
      }
      d.stage.after.push_back(item->scalar);
      d.reachable.insert(item->scalar);
      d.reachable.insert(earlier->reachable.begin(), earlier->reachable.end());
    }
    if (d.stage.is_report() && d.stage.after.empty()) {
      problems.add(node.location, "a report stage needs `after`: the stages whose results it tabulates");
    }
    d.stage.run_dir = (fs::path(pipeline.dir) / d.stage.name).string();
    declared.push_back(std::move(d));
  }
  for (const Declared& d : declared) pipeline.stages.push_back(d.stage);
  return declared;
}

// Expands the stage's overrides, adds the command line's and the run location, and loads its config.
void resolve_stage(Declared& d, const Pipeline& pipeline, const fs::path& base_dir,
                   const std::vector<std::string>& extra_overrides, Problems& problems) {
  Stage& stage = d.stage;
  if (stage.is_report()) return;
  const std::size_t problems_before = problems.size();
  for (const ConfigNode* node : d.overrides) {
    if (node->scalar.find('=') == std::string::npos) {
      problems.add(node->location, "override '" + node->scalar + "' is not section.key=value");
    } else if (sets_run_location(node->scalar)) {
      problems.add(node->location, "run.dir and run.name are set by the pipeline (pipeline.dir and stage names)");
    }
    stage.overrides.push_back(expand(*node, d, pipeline, problems));
  }
  stage.overrides.insert(stage.overrides.end(), extra_overrides.begin(), extra_overrides.end());
  stage.overrides.push_back("run.dir=" + pipeline.dir);
  stage.overrides.push_back("run.name=" + stage.name);
  // Loading the config with overrides already found wrong would only repeat their problems.
  if (d.config == nullptr || problems.size() != problems_before) return;
  const bool is_inline = d.config->kind == ConfigNode::Kind::kMap;
  if (is_inline) {
    stage.config_path = (fs::path(pipeline.dir) / (stage.name + ".config.yaml")).string();
    stage.inline_config = render_inline_config(*d.config, d.config->location.str(), base_dir.string());
  } else {
    stage.config_path = (base_dir / d.config->scalar).lexically_normal().string();
    std::error_code error;
    if (!fs::is_regular_file(stage.config_path, error)) {
      problems.add(d.config->location, "stage '" + stage.name + "': config file " + stage.config_path + " not found");
      return;
    }
  }
  try {
    stage.config = is_inline ? config::load_config_node(*d.config, base_dir.string(), stage.overrides).config
                             : config::load_config(stage.config_path, stage.overrides).config;
  } catch (const UsageError& e) {
    std::string message = e.what();
    for (std::size_t p = message.find('\n'); p != std::string::npos; p = message.find('\n', p + 5)) {
      message.replace(p, 1, "\n    ");
    }
    problems.add(d.config->location,
                 "stage '" + stage.name + "': its config does not load with its overrides: " + message);
  }
}

}  // namespace

std::vector<std::string> Stage::arguments() const {
  std::vector<std::string> args = {command, config_path};
  args.insert(args.end(), overrides.begin(), overrides.end());
  return args;
}

const Stage* Pipeline::find(const std::string& stage_name) const {
  for (const Stage& stage : stages) {
    if (stage.name == stage_name) return &stage;
  }
  return nullptr;
}

int64_t run_ranks(const config::Config& config, const std::string& command) {
  if (command != "train" || config.run.job != config::Job::kGrpo) return 1;
  return config::required_world_size(config);
}

void write_inline_config(const Stage& stage) {
  if (stage.inline_config.empty()) return;
  std::error_code error;
  fs::create_directories(fs::path(stage.config_path).parent_path(), error);
  if (error) {
    throw Error(ExitCode::kFailure, "stage '" + stage.name + "': cannot create " +
                                        fs::path(stage.config_path).parent_path().string() + ": " + error.message());
  }
  write_file_atomically(stage.config_path, stage.inline_config);
}

bool is_pipeline_file(const std::string& path) {
  const ConfigNode root = config::read_yaml_file(path);
  return root.kind == ConfigNode::Kind::kMap && root.find("stages") != nullptr;
}

Pipeline load_pipeline(const std::string& path, const std::vector<std::string>& extra_overrides) {
  for (const std::string& o : extra_overrides) {
    if (sets_run_location(o)) {
      throw UsageError("override '" + o +
                       "': run.dir and run.name of a pipeline's stages come from pipeline.dir "
                       "and the stage names");
    }
  }
  const ConfigNode root =
      path.empty() ? config::parse_yaml(config::embedded_quickstart_pipeline(), config::kEmbeddedPipelineName)
                   : config::read_yaml_file(path);
  Pipeline pipeline;
  pipeline.file = path.empty() ? config::kEmbeddedPipelineName : path;
  Problems problems;
  if (root.kind != ConfigNode::Kind::kMap) {
    problems.add(root.location, "a pipeline file is a mapping with the keys 'pipeline' and 'stages'");
    problems.raise(pipeline.file);
  }
  parse_header(root, pipeline, problems);
  std::vector<Declared> declared = parse_stages(root, pipeline, problems);
  if (!problems.empty()) problems.raise(pipeline.file);

  const fs::path base_dir = path.empty() ? fs::current_path() : fs::absolute(path).parent_path();
  for (std::size_t i = 0; i < declared.size(); ++i) {
    resolve_stage(declared[i], pipeline, base_dir, extra_overrides, problems);
    pipeline.stages[i] = declared[i].stage;
  }
  if (!problems.empty()) problems.raise(pipeline.file);
  return pipeline;
}

}  // namespace spct::pipeline
