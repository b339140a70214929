#include "core/whereabouts.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <ctime>

namespace spct {
namespace {

static_assert(std::atomic<char>::is_always_lock_free && std::atomic<std::int64_t>::is_always_lock_free,
              "a signal handler reads these");

// One text, double-buffered: the setter fills the buffer not in use, then publishes it.
class SharedText {
 public:
  void set(std::string_view text) {
    const int next = 1 - current_.load(std::memory_order_relaxed);
    const std::size_t length = std::min(text.size(), kMaxWhereaboutsText);
    for (std::size_t i = 0; i < length; ++i) bytes_[next][i].store(text[i], std::memory_order_relaxed);
    lengths_[next].store(length, std::memory_order_relaxed);
    current_.store(next, std::memory_order_release);
  }
  // Appends the text to `out` (room for kMaxWhereaboutsText bytes); returns the bytes appended.
  std::size_t copy_to(char* out) const {
    const int now = current_.load(std::memory_order_acquire);
    const std::size_t length = lengths_[now].load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < length; ++i) out[i] = bytes_[now][i].load(std::memory_order_relaxed);
    return length;
  }

 private:
  std::atomic<char> bytes_[2][kMaxWhereaboutsText] = {};
  std::atomic<std::size_t> lengths_[2] = {};
  std::atomic<int> current_{0};
};

SharedText place;
SharedText waited_for;
std::atomic<std::int64_t> wait_started_ns{0};  // 0: not waiting

std::int64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);  // async-signal-safe
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// Appends `text` (a string literal or a NUL-terminated name) at `out`; returns the bytes appended.
std::size_t append(char* out, const char* text) {
  std::size_t n = 0;
  while (text[n] != '\0') {
    out[n] = text[n];
    ++n;
  }
  return n;
}

// Appends "12.3" (tenths of a second, rounded down).
std::size_t append_seconds(char* out, std::int64_t ns) {
  const std::int64_t tenths = ns < 0 ? 0 : ns / 100'000'000;
  char digits[24];
  std::size_t count = 0;
  for (std::int64_t whole = tenths / 10; count == 0 || whole > 0; whole /= 10)
    digits[count++] = static_cast<char>('0' + whole % 10);
  std::size_t n = 0;
  while (count > 0) out[n++] = digits[--count];
  out[n++] = '.';
  out[n++] = static_cast<char>('0' + tenths % 10);
  return n;
}

}  // namespace

void set_whereabouts_place(std::string_view text) {
  place.set(text);
}

void set_whereabouts_wait(std::string_view text) {
  waited_for.set(text);
  wait_started_ns.store(monotonic_ns(), std::memory_order_release);
}

void clear_whereabouts_wait() {
  wait_started_ns.store(0, std::memory_order_release);
}

void write_whereabouts(int fd, const char* signal_name) {
  char line[2 * kMaxWhereaboutsText + 128];
  std::size_t n = append(line, "spct: at ");
  n += append(line + n, signal_name);
  line[n++] = ' ';
  const std::size_t place_length = place.copy_to(line + n);
  if (place_length == 0) return;
  n += place_length;
  const std::int64_t started = wait_started_ns.load(std::memory_order_acquire);
  if (started == 0) {
    n += append(line + n, ", not waiting for another rank");
  } else {
    n += append(line + n, ", waiting ");
    n += append_seconds(line + n, monotonic_ns() - started);
    n += append(line + n, " s for ");
    n += waited_for.copy_to(line + n);
  }
  line[n++] = '\n';
  // Nothing to do when fd is gone: the exit code still tells what happened.
  [[maybe_unused]] const ssize_t written = ::write(fd, line, n);
}

}  // namespace spct
