// A pipeline stage's inline config (`config:` written as a mapping in the pipeline file) turned back into a
// YAML file that `spct train` / `spct eval` can read, because every stage runs as its own process and takes its
// config by path.
//
// The text keeps the stage's mapping as written (key order, lists, nesting); every value is emitted as a
// double-quoted YAML string (keys too, unless they are plain names), which the config loader reads exactly as the plain
// scalar it was (it converts text through the schema, so "3" and 3 load the same). Relative `extends:` paths become
// absolute, since the file lives in the run directory rather than beside the pipeline file.
//
// Thread safety: pure functions.
#pragma once

#include <string>

#include "core/config/node.h"

namespace spct::pipeline {

// The YAML text of `config` (a mapping), headed by a comment naming `where` (the pipeline file, line and
// column the config was written at). `base_dir` resolves relative `extends:` paths.
std::string render_inline_config(const config::ConfigNode& config, const std::string& where,
                                 const std::string& base_dir);

}  // namespace spct::pipeline
