// The sections of the experiment config, each with the function (in schema_<section>.cpp) that declares its
// fields. Adding a section: a struct in config.h, a member of Config, a schema_<section>.cpp, a row here.
#pragma once

#include <string>
#include <vector>

#include "core/config/schema.h"

namespace spct::config {

struct SectionSchema {
  std::string name;
  std::string doc;  // a paragraph for docs/configuration.md
  void (*add_fields)(SchemaBuilder& builder);
};

void add_run_fields(SchemaBuilder& b);
void add_layout_fields(SchemaBuilder& b);
void add_timeouts_fields(SchemaBuilder& b);
void add_distributed_fields(SchemaBuilder& b);
void add_model_fields(SchemaBuilder& b);
void add_tokenizer_fields(SchemaBuilder& b);
void add_data_fields(SchemaBuilder& b);
void add_rollout_fields(SchemaBuilder& b);
void add_reward_fields(SchemaBuilder& b);
void add_grm_fields(SchemaBuilder& b);
void add_eval_fields(SchemaBuilder& b);
void add_grpo_fields(SchemaBuilder& b);
void add_sft_fields(SchemaBuilder& b);
void add_checkpoint_fields(SchemaBuilder& b);
void add_observe_fields(SchemaBuilder& b);
void add_slurm_fields(SchemaBuilder& b);

// All sections in documentation order.
const std::vector<SectionSchema>& section_schemas();

}  // namespace spct::config
