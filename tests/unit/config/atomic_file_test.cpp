// Atomic file replacement: readers see the old or the new file, and an abandoned write leaves no trace.
#include "core/atomic_file.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "tests/unit/config/test_files.h"

using spct::AtomicFileWriter;
using spct::write_file_atomically;

namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t entries_in(const std::filesystem::path& dir) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++count;
  return count;
}

}  // namespace

TEST_CASE("a committed write replaces the file's contents", "[atomic_file]") {
  spct::testing::TempDir dir;
  const std::filesystem::path path = dir.write("config.json", "old");
  write_file_atomically(path, "new contents");
  CHECK(read_text(path) == "new contents");
  CHECK(entries_in(dir.path()) == 1);
}

TEST_CASE("an abandoned write keeps the old file and removes its temporary", "[atomic_file]") {
  spct::testing::TempDir dir;
  const std::filesystem::path path = dir.write("model.safetensors", "old");
  {
    AtomicFileWriter writer(path);
    writer.append(std::string_view("half of the new"));
    CHECK(entries_in(dir.path()) == 2);  // the temporary is beside the target until it is renamed or dropped
  }
  CHECK(read_text(path) == "old");
  CHECK(entries_in(dir.path()) == 1);
}

TEST_CASE("a file in a missing directory is an error naming it", "[atomic_file]") {
  spct::testing::TempDir dir;
  const std::filesystem::path path = std::filesystem::path(dir.path()) / "missing" / "f";
  CHECK_THROWS_WITH(write_file_atomically(path, "x"), Catch::Matchers::Contains("missing/f"));
}
