// Sweeps: `spct submit --sweep grpo.lr=1e-6,3e-6 --sweep run.seed=1,2` runs every combination of the listed
// values as one task of a SLURM job array, each in a run directory of its own.
#pragma once

#include <string>
#include <vector>

namespace spct::submit {

struct SweepAxis {
  std::string key;                  // "grpo.lr"
  std::vector<std::string> values;  // {"1e-6", "3e-6"}, in the order given
};

// Parses "section.key=v1,v2,...". Throws spct::UsageError naming the spec when it has no '=', no key, an empty
// value or a repeated value. (Values cannot contain commas; sweep list-valued keys with separate submissions.)
SweepAxis parse_sweep(const std::string& spec);

struct SweepPoint {
  std::vector<std::string> overrides;  // "grpo.lr=1e-6", one per axis
  std::string name;                    // "lr1e-6_seed1": the last part of each key, then the value
};

// Every combination, the first axis varying slowest (so array task ids follow the command line's order).
// Throws spct::UsageError when two axes share a key or two points would get the same name.
std::vector<SweepPoint> sweep_points(const std::vector<SweepAxis>& axes);

}  // namespace spct::submit
