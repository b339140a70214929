// Fields of the distributed section: bucket sizes of the tensor collectives (distributed/grad_sync.h,
// distributed/weight_sync.h), and ZeRO sharding of the learners' optimizer (learner/sharded_adamw.h).
#include "core/config/schema_sections.h"

namespace spct::config {

void add_distributed_fields(SchemaBuilder& b) {
  const auto f = [](auto member) { return bind(&Config::distributed, member); };
  b.add_number("bucket_mb", f(&DistributedSection::bucket_mb),
               "Size in MiB of the buckets gradients are flattened into for the learners' all-reduce; larger "
               "buckets mean fewer, more efficient collectives and more staging memory.",
               {.min = 0.001, .max = 4096});
  b.add_number("weight_bucket_mb", f(&DistributedSection::weight_bucket_mb),
               "Size in MiB of the buckets learner 0 broadcasts new weights in; a rollout worker stages one version "
               "in full before it swaps, so this bounds the broadcast size, not the staging memory.",
               {.min = 0.001, .max = 4096});
  b.add_integer("zero_stage", f(&DistributedSection::zero_stage),
                "ZeRO-style sharding of the optimizer across learners (docs/learner.md, learner/sharded_adamw.h): 0 = "
                "every learner holds all AdamW state; 1 = each learner holds the AdamW moments (and float32 masters of "
                "16-bit weights) of its 1/learners slice of the parameters, updates that slice, and the weights are "
                "all-gathered after each update; 2 = as 1, and the gradients are reduce-scattered (half the bytes of "
                "an all-reduce) instead of all-reduced, bucket by bucket while the last backward pass of an update "
                "runs, each parameter's gradient dropped once its bucket holds it. Same weights as 0 up to float "
                "summation order; checkpoints are in the unsharded format, so a run resumes with another stage or "
                "learner count. A learner's share is one piece of every bucket_mb bucket, so bucket_mb also bounds "
                "the buffers of these collectives. No effect with one learner.",
                {.min = 0, .max = 2});
}

}  // namespace spct::config
