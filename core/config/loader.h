// Loads an experiment config: YAML files with `extends:`, command-line overrides, the schema's type and range
// checks, then the cross-field checks. Everything a run needs to know about its config is decided here,
// before any model is loaded.
//
// Resolution order (later wins): schema defaults < the settings of `grpo.preset` (core/config/presets.h) <
// base files named by `extends:` (in list order, each resolved recursively) < the file itself < overrides
// `section.key=value` in command-line order.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/node.h"

namespace spct::config {

// Where a field's value came from.
struct Origin {
  enum class Kind { kDefault, kFile, kOverride };
  Kind kind = Kind::kDefault;
  SourceLocation location;  // file:line:column for kFile; "<command line>" for kOverride; "preset dapo" for
                            // a default that grpo.preset chose

  // "default", "preset dapo", "configs/a.yaml:3:5", "override".
  std::string str() const;
};

struct ResolvedConfig {
  Config config;
  std::map<std::string, Origin> origins;  // every schema key
  std::vector<std::string> files;         // the config files read, the main file first
};

// The name under which the embedded default config (configs/grpo_add.yaml, compiled in) is loaded when no
// file is given.
inline constexpr const char* kEmbeddedConfigName = "<embedded grpo_add>";

// The name under which the embedded quickstart pipeline (configs/quickstart.yaml, compiled in) is read when
// `spct pipeline` is given no file.
inline constexpr const char* kEmbeddedPipelineName = "<embedded quickstart>";

// Loads `path` (or the embedded default when `path` is empty) and applies `overrides` ("a.b=value").
// Throws spct::UsageError listing every problem found, each as "file:line:column: key: message", for: YAML
// syntax errors, empty files, unknown keys (with a did-you-mean hint), wrong types, out-of-range values,
// unknown choices, missing or circular `extends`, malformed overrides, and failed cross-field checks.
ResolvedConfig load_config(const std::string& path, const std::vector<std::string>& overrides);

// As load_config, from YAML text already in memory; `origin` names it in messages. `extends` paths are
// resolved relative to `base_dir`.
ResolvedConfig load_config_text(const std::string& text, const std::string& origin, const std::string& base_dir,
                                const std::vector<std::string>& overrides);

// As load_config, from a mapping already parsed out of a larger file (a pipeline stage's inline `config:`):
// every message names the line and column `root` records in that file. `extends` paths are resolved relative
// to `base_dir`.
ResolvedConfig load_config_node(const ConfigNode& root, const std::string& base_dir,
                                const std::vector<std::string>& overrides);

// The text of configs/grpo_add.yaml as compiled into the binary: the default experiment of `spct train`.
const std::string& embedded_default_config();

// The text of configs/quickstart.yaml as compiled into the binary: the default pipeline of `spct pipeline`.
const std::string& embedded_quickstart_pipeline();

}  // namespace spct::config
