// Keeps a test that opens a FIFO from hanging: a thread that, while the test runs, opens the FIFO for
// writing whenever a reader waits in open(2) (which then reads an empty stream), and closes it again.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace cairn::testing {

class FifoUnblocker {
 public:
  explicit FifoUnblocker(std::string path)
      : path_(std::move(path)), thread_([this] {
          while (!stopping_) {
            // Without a reader, a non-blocking open for writing fails (ENXIO) instead of waiting.
            const int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0) {
              reader_waited_ = true;
              ::close(fd);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
        }) {}
  ~FifoUnblocker() { stop(); }

  // Stops the thread; whether a reader ever opened the FIFO.
  bool stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    return reader_waited_;
  }

 private:
  std::string path_;
  std::atomic<bool> stopping_{false}, reader_waited_{false};
  std::thread thread_;
};

}  // namespace cairn::testing
