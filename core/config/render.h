// Text forms of a resolved config: the annotated YAML of `spct config show`, the stable config hash, and the
// Markdown reference docs/configuration.md (generated from the schema by `spct config docs`).
#pragma once

#include <string>

#include "core/config/loader.h"

namespace spct::config {

// The resolved config as YAML that spct itself loads back unchanged, with a comment on every line saying where
// the value came from (default / preset NAME / file:line:column / override), headed by the config hash.
std::string render_annotated(const ResolvedConfig& resolved);

// The resolved values as plain YAML (no comments); what a run directory stores as config.yaml.
std::string render_plain(const Config& config);

// SHA-256 of the canonical "key=value" lines of every field, in schema order. Independent of key order,
// formatting, comments and `extends` structure in the files; changes whenever any value changes.
std::string config_hash(const Config& config);

// The first 12 hex digits of config_hash, as shown to users.
std::string short_config_hash(const Config& config);

// docs/configuration.md.
std::string render_reference_markdown();

}  // namespace spct::config
