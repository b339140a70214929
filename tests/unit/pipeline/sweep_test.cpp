// Sweeps: parsing --sweep and the combinations that become array tasks.
#include "orchestrator/submit/sweep.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using Catch::Matchers::Contains;
using namespace spct::submit;

TEST_CASE("a sweep spec lists a key's values in order", "[sweep]") {
  const SweepAxis axis = parse_sweep("grpo.lr=1e-6,3e-6,1e-5");
  CHECK(axis.key == "grpo.lr");
  CHECK(axis.values == std::vector<std::string>{"1e-6", "3e-6", "1e-5"});
  CHECK(parse_sweep("run.seed=4").values == std::vector<std::string>{"4"});
}

TEST_CASE("malformed sweep specs are refused with the spec named", "[sweep]") {
  CHECK_THROWS_WITH(parse_sweep("grpo.lr"), Contains("--sweep 'grpo.lr': write section.key=value1,value2"));
  CHECK_THROWS_WITH(parse_sweep("=1,2"), Contains("write section.key="));
  CHECK_THROWS_WITH(parse_sweep("grpo.lr=1,,2"), Contains("an empty value"));
  CHECK_THROWS_WITH(parse_sweep("grpo.lr=1,"), Contains("an empty value"));
  CHECK_THROWS_WITH(parse_sweep("grpo.lr=1,1"), Contains("the value '1' is listed twice"));
}

TEST_CASE("sweep points are every combination, first axis slowest, with readable names", "[sweep]") {
  const auto points = sweep_points({parse_sweep("grpo.lr=1e-6,3e-6"), parse_sweep("run.seed=1,2,3")});
  REQUIRE(points.size() == 6);
  CHECK(points[0].overrides == std::vector<std::string>{"grpo.lr=1e-6", "run.seed=1"});
  CHECK(points[0].name == "lr1e-6_seed1");
  CHECK(points[2].name == "lr1e-6_seed3");
  CHECK(points[3].overrides == std::vector<std::string>{"grpo.lr=3e-6", "run.seed=1"});
  CHECK(points[5].name == "lr3e-6_seed3");
  CHECK(sweep_points({}).size() == 1);
}

TEST_CASE("sweeps that repeat a key or collide in name are refused", "[sweep]") {
  CHECK_THROWS_WITH(sweep_points({parse_sweep("run.seed=1"), parse_sweep("run.seed=2")}),
                    Contains("names run.seed twice"));
  CHECK_THROWS_WITH(sweep_points({parse_sweep("data.path=a b,a/b")}), Contains("share the run name 'patha-b'"));
}
