// SPDX-License-Identifier: MIT
// Shared helpers of every test suite (library, conformance, benchmarks): connected pairs and a
// peer thread whose failure fails the test instead of vanishing (CPython's ThreadableTest, in C++).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "socklab/socklab.hpp"

namespace socklab::test {

using namespace std::chrono_literals;

/// Generous bound for anything that should happen at once on loopback: a bug fails, never hangs.
inline constexpr auto loopback_timeout = std::chrono::seconds(10);

/// Runs `body` on its own thread; join() rethrows whatever it threw. The destructor joins too, so
/// no thread outlives its test, even when an assertion returns early.
class peer {
 public:
  explicit peer(std::function<void()> body)
      : done_(std::async(std::launch::async, [b = std::move(body)] { b(); })) {}
  ~peer() {
    if (done_.valid()) done_.wait();
  }
  peer(const peer&) = delete;
  peer& operator=(const peer&) = delete;
  /// Waits (bounded) for the body and rethrows its exception, if any.
  void join() {
    ASSERT_EQ(done_.wait_for(loopback_timeout), std::future_status::ready) << "peer thread did not finish";
    done_.get();
  }

 private:
  std::future<void> done_;
};

/// The descriptors this process has open, from /proc/self/fd (Linux) or /dev/fd (macOS, FreeBSD).
/// The listing's own descriptor is closed again before this returns.
inline std::set<int> open_fds() {
  std::set<int> fds;
  std::error_code ec;
  for (const char* dir : {"/proc/self/fd", "/dev/fd"}) {
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) continue;
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      fds.insert(std::stoi(it->path().filename().string()));
    }
    return fds;
  }
  return fds;
}

/// Whether `call` throws a socklab::error whose code is `expected`; on failure, says what happened
/// instead. Use as EXPECT_TRUE(raises(std::errc::address_in_use, [&] { s.bind(a); })).
template <class F>
::testing::AssertionResult raises(std::errc expected, F&& call) {
  const auto wanted = std::make_error_code(expected).message();
  try {
    call();
  } catch (const error& e) {
    if (e.code() == expected) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "threw '" << e.what() << "', expected '" << wanted << "'";
  }
  return ::testing::AssertionFailure() << "did not throw; expected '" << wanted << "'";
}

/// A 127.0.0.1 port (TCP or UDP) with nothing behind it: bound, noted, closed. It is taken from
/// just below the kernel's ephemeral range, so that no test running in parallel can be handed the
/// same port by bind(0) or connect() while this test relies on it being closed.
inline ipv4_address unused_port(type t = type::stream) {
  int low = 32768;
  if (std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range"); range) range >> low;
  const int first = std::max(1024, low - 10000);
  static std::mt19937 rng(std::random_device{}());
  for (int attempt = 0; attempt < 200 && first < low; ++attempt) {
    const int port = std::uniform_int_distribution<int>(first, low - 1)(rng);
    try {
      socket probe(family::inet, t);
      probe.bind(ipv4_address::loopback(port));
      return std::get<ipv4_address>(probe.getsockname());
    } catch (const error&) {
      // in use: try another
    }
  }
  socket probe(family::inet, t);  // no free port below the range: fall back to the kernel's choice
  probe.bind(ipv4_address::loopback());
  return std::get<ipv4_address>(probe.getsockname());
}

/// The loopback address of IP family `f` (::1 for inet6, else 127.0.0.1) with `port`.
inline address loopback_of(family f, int port = 0) {
  if (f == family::inet6) return ipv6_address::loopback(port);
  return ipv4_address::loopback(port);
}

/// A listening socket on the loopback address of `f`, kernel-chosen port (never a fixed one).
inline socket listener(family f = family::inet) {
  socket s(f, type::stream);
  s.bind(loopback_of(f));
  s.listen();
  return s;
}

struct connected_pair {
  socket client;
  socket server;  // the accepted end
};

/// A connected TCP pair over loopback.
inline connected_pair tcp_pair(family f = family::inet) {
  auto l = listener(f);
  socket c(f, type::stream);
  c.settimeout(loopback_timeout);
  c.connect(l.getsockname());
  l.settimeout(loopback_timeout);
  auto [conn, addr] = l.accept();
  c.settimeout(std::nullopt);
  return {std::move(c), std::move(conn)};
}

/// A private folder for AF_UNIX socket files, removed with everything in it at scope exit.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "socklab-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// A pipe's two ends, owned (close-on-exec): something to pass as a descriptor and check it works.
struct pipe_pair {
  unique_fd read, write;
};

inline pipe_pair make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  return {unique_fd(fds[0]), unique_fd(fds[1])};
}

/// Restores the module default timeout when a test that changes it ends, however it ends.
class default_timeout_guard {
 public:
  default_timeout_guard() : saved_(getdefaulttimeout()) {}
  ~default_timeout_guard() { setdefaulttimeout(saved_); }
  default_timeout_guard(const default_timeout_guard&) = delete;
  default_timeout_guard& operator=(const default_timeout_guard&) = delete;

 private:
  timeout saved_;
};

/// Whether IPv6 loopback works here (CI containers may lack ::1): a capability probe, not an OS check.
inline bool ipv6_available() {
  try {
    socket s(family::inet6, type::dgram);
    s.bind(ipv6_address::loopback());
    return true;
  } catch (const error&) {
    return false;
  }
}

/// Reads until EOF (bounded by the socket's timeout on each read).
inline std::string recv_all(socket& s) {
  std::string out;
  for (;;) {
    auto chunk = s.recv(65536);
    if (chunk.empty()) return out;
    out += as_text(chunk);
  }
}

}  // namespace socklab::test

namespace socklab::test {

/// A peer that drains `chunk` bytes per `period` until stopped: a reader that always makes progress
/// but slowly. The pause is a bounded wait on the stop signal, so stopping is immediate.
class slow_reader {
 public:
  slow_reader(socket& s, std::size_t chunk, std::chrono::milliseconds period)
      : thread_([this, &s, chunk, period] {
          std::vector<std::byte> buf(chunk);
          s.settimeout(period);  // a drained socket must not block the reader past a stop request
          std::unique_lock lock(mutex_);
          while (!stop_) {
            lock.unlock();
            try {
              if (s.recv_into(buf) == 0) return;
            } catch (const timeout_error&) {
              // nothing to read this period: check for stop and go on
            } catch (const error&) {
              return;  // the connection failed: nothing left to drain
            }
            lock.lock();
            stopped_.wait_for(lock, period, [this] { return stop_; });
          }
        }) {}
  ~slow_reader() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    stopped_.notify_all();
    thread_.join();
  }
  slow_reader(const slow_reader&) = delete;
  slow_reader& operator=(const slow_reader&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable stopped_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

/// Seconds elapsed while running `body`, on the monotonic clock.
template <class F>
double seconds_taken(F&& body) {
  const auto start = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace socklab::test
