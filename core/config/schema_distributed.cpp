// Fields of the distributed section: bucket sizes of the tensor collectives (distributed/grad_sync.h,
// distributed/weight_sync.h).
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
}

}  // namespace spct::config
