#include <ATen/Parallel.h>
#include <c10/util/Logging.h>  // before Catch, whose CHECK must win over c10's

#include <catch2/catch.hpp>

#include "core/error.h"
#include "models/model_config.h"
#include "models/tokenizer/factory.h"
#include "workers/reward/grm_model/model_critique_sampler.h"

using Catch::Matchers::Contains;
using spct::grm::ModelCritiqueSampler;
using spct::grm::ModelSamplerOptions;

namespace {

struct TinyGrm {
  std::shared_ptr<const spct::tokenizer::Tokenizer> tokenizer;
  std::shared_ptr<spct::models::Transformer> model;
};

TinyGrm tiny_grm(int64_t max_position = 64) {
  at::set_num_threads(1);
  TinyGrm grm;
  grm.tokenizer = spct::tokenizer::make_tokenizer(spct::config::TokenizerSection{}, "");
  spct::config::ModelSection section;
  section.hidden_size = 32;
  section.intermediate_size = 64;
  section.max_position = max_position;
  grm.model =
      std::make_shared<spct::models::Transformer>(spct::models::from_section(section, grm.tokenizer->vocab_size()), 11);
  return grm;
}

ModelSamplerOptions options(uint64_t seed) {
  ModelSamplerOptions o;
  o.max_new_tokens = 12;
  o.max_batch = 3;  // several forward batches for the 7 prompts below
  o.seed = seed;
  return o;
}

const std::vector<std::string> kPrompts = {
    "Q:3+4= R1:7 R2:8 S:", "Q:3+4= R1:7 R2:8 S:", "Q:1+1= R:2 S:",      "Q:9+9= R1:18 R2:19 S:",
    "Q:3+4= R1:7 R2:8 S:", "Q:0+0= R:1 S:",       "Q:5+2= R1:7 R2:6 S:"};

}  // namespace

TEST_CASE("the model sampler returns one critique per prompt, reproducibly from its seed", "[grm_model]") {
  const TinyGrm grm = tiny_grm();
  ModelCritiqueSampler a(grm.model, grm.tokenizer, options(5));
  ModelCritiqueSampler b(grm.model, grm.tokenizer, options(5));
  ModelCritiqueSampler other(grm.model, grm.tokenizer, options(6));
  const auto first = a.generate(kPrompts, 1.0);
  REQUIRE(first.size() == kPrompts.size());
  CHECK(b.generate(kPrompts, 1.0) == first);
  CHECK(other.generate(kPrompts, 1.0) != first);
  // Identical prompts in one call are sampled independently; a second call draws new critiques.
  CHECK((first[0] != first[1] || first[1] != first[4]));
  CHECK(a.generate(kPrompts, 1.0) != first);
  CHECK(a.generated_tokens() > 0);
  CHECK(a.generated_tokens() <= 2 * static_cast<int64_t>(kPrompts.size()) * 12);
}

TEST_CASE("greedy critiques do not depend on the batch or the seed", "[grm_model]") {
  const TinyGrm grm = tiny_grm();
  ModelCritiqueSampler a(grm.model, grm.tokenizer, options(1));
  ModelCritiqueSampler b(grm.model, grm.tokenizer, options(2));
  const auto all = a.generate(kPrompts, 0.0);
  CHECK(all[0] == all[1]);
  CHECK(all[0] == all[4]);
  CHECK(b.generate({kPrompts[3]}, 0.0).front() == all[3]);
}

TEST_CASE("a stop string ends the critique and stays in it", "[grm_model]") {
  const TinyGrm grm = tiny_grm();
  ModelSamplerOptions o = options(3);
  ModelCritiqueSampler unstopped(grm.model, grm.tokenizer, o);
  const auto free_text = unstopped.generate(kPrompts, 1.0);
  // Stop at a character the unstopped critiques contain, so the check is not vacuous.
  std::string stop;
  for (const std::string& t : free_text) {
    if (t.size() > 2) stop = t.substr(1, 1);
  }
  REQUIRE_FALSE(stop.empty());
  o.stop = {stop};
  ModelCritiqueSampler stopped(grm.model, grm.tokenizer, o);
  int ended = 0;
  for (const std::string& t : stopped.generate(kPrompts, 1.0)) {
    const size_t at = t.find(stop);
    if (at == std::string::npos) continue;
    CHECK(at + stop.size() == t.size());
    ++ended;
  }
  CHECK(ended >= 1);
}

TEST_CASE("prompts that do not fit the GRM's context are refused, naming the prompt", "[grm_model]") {
  const TinyGrm grm = tiny_grm(24);
  ModelCritiqueSampler sampler(grm.model, grm.tokenizer, options(1));
  CHECK_THROWS_WITH(sampler.generate({"Q:1+1= S:", std::string(20, 'a')}, 1.0),
                    Contains("GRM prompt 1") && Contains("max_position"));
  CHECK_THROWS_AS(ModelCritiqueSampler(nullptr, grm.tokenizer, options(1)), spct::UsageError);
}

TEST_CASE("a seeded critique is the same alone or batched, whatever the batch size", "[grm_model]") {
  const TinyGrm grm = tiny_grm();
  std::vector<uint64_t> seeds;
  for (size_t i = 0; i < kPrompts.size(); ++i) seeds.push_back(100 + 7 * i);
  ModelCritiqueSampler batched(grm.model, grm.tokenizer, options(5));  // at most 3 sequences decode together
  const auto all = batched.generate_seeded(kPrompts, seeds, 1.0);
  ModelSamplerOptions wide = options(5);
  wide.max_batch = 64;
  CHECK(ModelCritiqueSampler(grm.model, grm.tokenizer, wide).generate_seeded(kPrompts, seeds, 1.0) == all);
  ModelCritiqueSampler single(grm.model, grm.tokenizer, options(9));  // its own seed plays no part
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    INFO("prompt " << i);
    CHECK(single.generate_seeded({kPrompts[i]}, {seeds[i]}, 1.0).front() == all[i]);
  }
  // The identical prompts 0, 1 and 4 (one prefill, forked) still follow their own seeds.
  CHECK((all[0] != all[1] || all[1] != all[4]));
  CHECK_THROWS_AS(single.generate_seeded(kPrompts, {1, 2}, 1.0), spct::UsageError);
}
