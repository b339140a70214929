// Writing arguments so that a POSIX shell reads them back unchanged: for the commands `spct pipeline show` and
// `spct submit --dry-run` print and for the job scripts spct writes.
#pragma once

#include <string>
#include <vector>

namespace spct::pipeline {

// `word` as one shell word: unchanged when it holds only characters no shell treats specially
// (letters, digits and _ - + = . , / : @ %), otherwise in single quotes (a quote inside becomes '\'').
std::string shell_quote(const std::string& word);

// The words quoted and joined by single spaces.
std::string shell_join(const std::vector<std::string>& words);

}  // namespace spct::pipeline
