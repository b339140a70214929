#include "workers/reward/rules/number_parser.h"

#include <catch2/catch.hpp>

using spct::reward::find_last_number;
using spct::reward::parse_number;

TEST_CASE("numbers are read in the forms people write them", "[rewards]") {
  const std::vector<std::pair<std::string, double>> cases = {{"42", 42},
                                                             {"-3.5", -3.5},
                                                             {"+7", 7},
                                                             {".5", 0.5},
                                                             {"42.", 42},
                                                             {" 19 \n", 19},
                                                             {"1,000", 1000},
                                                             {"12,345,678.25", 12345678.25},
                                                             {"1e3", 1000},
                                                             {"2.5E-4", 2.5e-4},
                                                             {"3/4", 0.75},
                                                             {"-3 / 4", -0.75},
                                                             {"\\frac{3}{4}", 0.75},
                                                             {"\\dfrac{1}{2}", 0.5},
                                                             {"-\\tfrac{1}{8}", -0.125},
                                                             {"$1,000", 1000},
                                                             {"\\$5", 5},
                                                             {"0", 0}};
  for (const auto& [text, value] : cases) {
    INFO("text: " << text);
    const auto parsed = parse_number(text);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == Approx(value));
  }
}

TEST_CASE("text that is not exactly one number is rejected", "[rewards]") {
  for (const std::string text : {"", "abc", "1,00", "1,0000", ",100", "1.2.3", "3/0", "1e", "1e+", "--1", "12 apples",
                                 "\\frac{1}{0}", "\\frac{1}", "1e999", ".", "3/4/5"}) {
    INFO("text: " << text);
    CHECK_FALSE(parse_number(text).has_value());
  }
}

TEST_CASE("the last number in a sentence is found", "[rewards]") {
  CHECK(*find_last_number("so the total is 1,000.") == 1000);
  CHECK(*find_last_number("first 3 then -12") == -12);
  CHECK(*find_last_number("x is 3/4, done") == Approx(0.75));
  CHECK(*find_last_number("range 3-4") == 4);
  CHECK(*find_last_number("list 1,2,3") == 3);
  CHECK(*find_last_number("about 2.5e3 units") == 2500);
  CHECK(*find_last_number("abcde12") == 12);
  CHECK_FALSE(find_last_number("no digits here").has_value());
}
