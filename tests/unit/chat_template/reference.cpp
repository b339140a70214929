#include "tests/unit/chat_template/reference.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace spct::testing {

nlohmann::ordered_json run_chat_reference(const nlohmann::ordered_json& cases) {
  namespace fs = std::filesystem;
  const fs::path script = fs::path(SPCT_SOURCE_DIR) / "tests" / "unit" / "chat_template" / "chat_template_reference.py";
  const fs::path stem = fs::temp_directory_path() / ("spct-chat-reference-" + std::to_string(::getpid()));
  const std::string request = stem.string() + ".json", errors = stem.string() + ".err";
  std::ofstream(request, std::ios::binary) << nlohmann::ordered_json{{"cases", cases}}.dump();
  // `timeout` holds the script to the deadline CTest's own timeout is derived from (tests/unit/chat_template).
  const std::string command = "timeout --kill-after=10 " + std::to_string(SPCT_REFERENCE_DEADLINE_S) + " '" +
                              std::string(SPCT_PYTHON) + "' '" + script.string() + "' < '" + request + "' 2> '" +
                              errors + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot start " + std::string(SPCT_PYTHON));
  std::string output;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = ::pclose(pipe);
  std::ostringstream stderr_text;
  stderr_text << std::ifstream(errors).rdbuf();
  fs::remove(request);
  fs::remove(errors);
  if (status != 0) {
    const std::string tail =
        stderr_text.str().size() > 3000 ? stderr_text.str().substr(stderr_text.str().size() - 3000) : stderr_text.str();
    throw std::runtime_error("the chat template reference failed (status " + std::to_string(WEXITSTATUS(status)) +
                             (WEXITSTATUS(status) == 124 ? ", past its deadline" : "") + "): " + tail);
  }
  return nlohmann::ordered_json::parse(output);
}

}  // namespace spct::testing
