#include "core/checkpoint/manifest.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using spct::checkpoint::manifest_bytes;
using spct::checkpoint::verify_manifest;
using spct::checkpoint::write_manifest;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("spct-manifest-" + std::to_string(::getpid()) + "-" +
                                               std::to_string(reinterpret_cast<uintptr_t>(this)));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("a manifest lists every file with its size and hash, and an intact directory verifies") {
  TempDir dir;
  write(dir.path / "state.json", "{\"step\": 4}\n");
  write(dir.path / "model" / "model.safetensors", std::string(1000, 'x'));
  const auto entries = write_manifest(dir.path);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].path == "model/model.safetensors");
  CHECK(entries[0].bytes == 1000);
  CHECK(entries[1].path == "state.json");
  CHECK(entries[1].sha256.size() == 64);
  CHECK(verify_manifest(dir.path).empty());
  CHECK(manifest_bytes(dir.path) == 1000 + 12);
}

TEST_CASE("verification names the file that was truncated, changed, added or removed") {
  TempDir dir;
  write(dir.path / "a.bin", std::string(64, 'a'));
  write(dir.path / "b.bin", std::string(64, 'b'));
  write_manifest(dir.path);

  SECTION("truncated") {
    fs::resize_file(dir.path / "a.bin", 10);
    CHECK_THAT(verify_manifest(dir.path), Catch::Matchers::Contains("a.bin: 10 bytes, the manifest says 64"));
  }
  SECTION("same size, other bytes") {
    write(dir.path / "b.bin", std::string(63, 'b') + "c");
    CHECK_THAT(verify_manifest(dir.path), Catch::Matchers::Contains("b.bin: SHA-256 differs"));
  }
  SECTION("a file the manifest does not list") {
    write(dir.path / "extra.txt", "?");
    CHECK_THAT(verify_manifest(dir.path), Catch::Matchers::Contains("extra.txt: not listed"));
  }
  SECTION("a listed file removed") {
    fs::remove(dir.path / "a.bin");
    CHECK_THAT(verify_manifest(dir.path), Catch::Matchers::Contains("a.bin: missing"));
  }
  SECTION("no manifest: the write never completed") {
    fs::remove(dir.path / spct::checkpoint::kManifestFile);
    CHECK_THAT(verify_manifest(dir.path), Catch::Matchers::Contains("never completed"));
    CHECK(manifest_bytes(dir.path) == 0);
  }
  SECTION("a garbled manifest") {
    write(dir.path / spct::checkpoint::kManifestFile, "{\"files\": [{\"path\": 3}]}");
    CHECK_THAT(verify_manifest(dir.path), Catch::Matchers::Contains("malformed entry"));
  }
}
