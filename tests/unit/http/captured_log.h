// Captures what spdlog's default logger writes while a CapturedLog lives, so tests can check log lines, and
// lets a test wait (with a limit) for a line to appear.
#pragma once

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace spct::testing {

class CapturedLog {
 public:
  CapturedLog() : sink_(std::make_shared<Sink>()), previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  // A message containing `text`, waiting up to `limit` for it; "" if none came.
  std::string wait_for(const std::string& text, std::chrono::seconds limit) { return sink_->wait_for(text, limit); }

 private:
  class Sink : public spdlog::sinks::base_sink<std::mutex> {
   public:
    std::string wait_for(const std::string& text, std::chrono::seconds limit) {
      std::unique_lock lock(messages_mutex_);
      std::string found;
      logged_.wait_for(lock, limit, [&] {
        for (const std::string& message : messages_) {
          if (message.find(text) != std::string::npos) found = message;
        }
        return !found.empty();
      });
      return found;
    }

   protected:
    void sink_it_(const spdlog::details::log_msg& message) override {
      {
        std::lock_guard lock(messages_mutex_);
        messages_.emplace_back(message.payload.data(), message.payload.size());
      }
      logged_.notify_all();
    }
    void flush_() override {}

   private:
    std::mutex messages_mutex_;
    std::condition_variable logged_;
    std::vector<std::string> messages_;
  };
  std::shared_ptr<Sink> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace spct::testing
