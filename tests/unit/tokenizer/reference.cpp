#include "tests/unit/tokenizer/reference.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "tests/unit/config/test_files.h"

namespace spct::testing {
namespace {

const std::filesystem::path kShared = SPCT_SHARED_DIR;

// Runs `argv` under coreutils' `timeout` (killed after `deadline_s` seconds) with stdin from `input_path`;
// returns its stdout. Throws std::runtime_error naming the program, the exit status and the end of its stderr
// when it does not exit 0. The arguments go to exec directly, so texts need no shell quoting.
std::string run(std::vector<std::string> argv, const std::string& input_path, int deadline_s) {
  const TempDir scratch;
  const std::string error_path = scratch.path() + "/stderr";
  const std::string program = argv.front();
  argv.insert(argv.begin(), {"timeout", "-k", "5", std::to_string(deadline_s)});
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("cannot make a pipe for " + program);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("cannot fork to run " + program);
  if (pid == 0) {
    const int in = ::open(input_path.c_str(), O_RDONLY);
    const int err = ::open(error_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || err < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(pipe_fds[1], 1);
    ::dup2(err, 2);
    ::close(pipe_fds[0]);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (std::string& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  std::string output;
  char buffer[1 << 16];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) output.append(buffer, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::string errors = read_file(error_path);
    if (errors.size() > 2000) errors = errors.substr(errors.size() - 2000);
    throw std::runtime_error(
        program + " failed (exit " + std::to_string(code) +
        (code == 124 || code == 137 ? ", past its deadline of " + std::to_string(deadline_s) + " s" : std::string()) +
        "): " + errors);
  }
  return output;
}

}  // namespace

std::string shared_tokenizer_dir(const std::string& name) {
  const auto dir = kShared / "data" / "tokenizers" / name;
  if (!std::filesystem::exists(dir / "tokenizer.json")) {
    throw std::runtime_error("the shared tokenizer files are missing: " + (dir / "tokenizer.json").string() +
                             " does not exist (the tests read ../shared/data/tokenizers beside the source tree; "
                             "configure with -DSPCT_SHARED_DIR=<the shared directory> if it is elsewhere)");
  }
  return dir.string();
}

ReferenceAnswer run_reference(const std::string& tokenizer_json, const std::vector<std::string>& texts,
                              int deadline_s) {
  const TempDir scratch;
  const nlohmann::json request = {{"tokenizer", tokenizer_json}, {"texts", texts}};
  const std::string input = scratch.write("request.json", request.dump());
  const std::string script = std::string(SPCT_SOURCE_DIR) + "/tests/reference/tokenize_reference.py";
  const auto answer = nlohmann::json::parse(run({SPCT_PYTHON, script}, input, deadline_s));
  ReferenceAnswer result;
  result.tokenizers_version = answer.at("tokenizers_version").get<std::string>();
  result.ids = answer.at("ids").get<std::vector<std::vector<int32_t>>>();
  result.ids_special = answer.at("ids_special").get<std::vector<std::vector<int32_t>>>();
  result.decoded = answer.at("decoded").get<std::vector<std::string>>();
  result.decoded_skip = answer.at("decoded_skip").get<std::vector<std::string>>();
  return result;
}

bool node_reference_available() {
  return std::filesystem::exists(kShared / "oracle" / "encode.mjs") && ::system("command -v node >/dev/null") == 0;
}

std::vector<int32_t> run_node_reference(const std::string& tokenizer_dir, const std::string& text, int deadline_s) {
  const std::string output =
      run({"node", (kShared / "oracle" / "encode.mjs").string(), tokenizer_dir, text}, "/dev/null", deadline_s);
  std::vector<int32_t> ids;
  std::istringstream in(output);
  std::string field;
  while (std::getline(in, field, ',')) {
    if (field.find_first_not_of(" \n") != std::string::npos) ids.push_back(std::stoi(field));
  }
  return ids;
}

}  // namespace spct::testing
