// Named tensor lists, the unit GradSync and the weight sync work on, and the helpers both need: the
// communicator element type of a tensor and a manifest (names, shapes, dtypes) that ranks compare to prove
// they hold the same list.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/comm/communicator.h"

namespace spct::distributed {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// The communicator type of `type`; throws spct::UsageError naming `what` for a type collectives cannot reduce
// (only float32, float64, int32, int64 and uint8 can).
comm::DataType reducible_type(at::ScalarType type, const std::string& what);

// "name [4, 16] Float" per tensor, one per line: what ranks compare, and what errors quote.
std::string describe(const std::string& name, const at::Tensor& tensor);

// Checks that every rank of `comm` holds the same names, shapes and dtypes in the same order (a collective).
// Throws spct::comm::CommError on every rank if not, naming the first rank whose list differs from rank 0's
// and the first differing entry as this rank sees it. `what` names the list ("learner parameters").
void check_same_everywhere(comm::Communicator& comm, const NamedTensors& tensors, const std::string& what);

}  // namespace spct::distributed
