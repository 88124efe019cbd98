// SPDX-License-Identifier: MIT
// Fixtures only the conformance suite needs: a signal storm, accept-queue probes, descriptor counts.
// The general ones (peer threads, loopback pairs, slow readers) come from lib/tests/support.hpp.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "support.hpp"
#include "support/behaviour.hpp"

namespace socklab::conformance {

using namespace socklab::test;

/// Sends SIGUSR1 to the constructing thread about every `period` until destroyed. The handler is
/// installed without SA_RESTART, so every blocking call in that thread sees EINTR. (CPython's tests
/// also clobber errno in their handler; a C++ handler must preserve it, and TSan insists.)
class signal_storm {
 public:
  explicit signal_storm(std::chrono::microseconds period = std::chrono::microseconds(1000))
      : target_(::pthread_self()) {
    struct sigaction sa {};
    sa.sa_handler = &signal_storm::handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: interrupted calls return EINTR
    ::sigaction(SIGUSR1, &sa, &previous_);
    thread_ = std::thread([this, period] {
      std::unique_lock lock(mutex_);
      while (!stop_) {
        ::pthread_kill(target_, SIGUSR1);
        stopped_.wait_for(lock, period, [this] { return stop_; });
      }
    });
  }
  ~signal_storm() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    stopped_.notify_all();
    thread_.join();
    ::sigaction(SIGUSR1, &previous_, nullptr);
  }
  signal_storm(const signal_storm&) = delete;
  signal_storm& operator=(const signal_storm&) = delete;

  /// Signals handled so far (by any storm).
  static long delivered() { return count_.load(); }

 private:
  static void handler(int) { count_.fetch_add(1); }
  static inline std::atomic<long> count_{0};
  pthread_t target_;
  struct sigaction previous_ {};
  std::mutex mutex_;
  std::condition_variable stopped_;
  bool stop_ = false;
  std::thread thread_;
};

/// Repeats `call` (at most `attempts` times) until it throws `Expected`; false if it never does.
/// Any other exception propagates and fails the test. Buffers and TCP windows grow under
/// autotuning, so "the next call fails" only holds as "some call soon fails" (CPython's pattern).
template <class Expected, class F>
bool eventually_throws(int attempts, F&& call) {
  for (int i = 0; i < attempts; ++i) {
    try {
      call();
    } catch (const Expected&) {
      return true;
    }
  }
  return false;
}

/// This thread's kernel id, for wait_until_blocked() in another thread.
inline int current_tid() { return static_cast<int>(::syscall(SYS_gettid)); }

/// Waits (bounded, polling the kernel's view) until thread `tid` of this process sleeps in a
/// system call, so that a peer can act only once a call is provably waiting. Linux only: false
/// elsewhere, and false if the thread is not seen sleeping within `limit`.
inline bool wait_until_blocked(int tid, std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  const auto path = "/proc/self/task/" + std::to_string(tid) + "/stat";
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path);
    std::string stat;
    if (!std::getline(in, stat)) return false;
    const auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
    if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'S') return true;
    std::this_thread::yield();
  }
  return false;
}

/// Whether `s` becomes writable (a non-blocking connect finished) within `limit`.
inline bool writable_within(const socket& s, std::chrono::milliseconds limit) {
  pollfd p{s.fileno(), POLLOUT, 0};
  return ::poll(&p, 1, static_cast<int>(limit.count())) == 1 && (p.revents & POLLOUT) != 0;
}

/// How many TCP connections `listener` (never accepting meanwhile) admits, counted on the server
/// side: `attempts` non-blocking connects, a bounded wait for those the kernel completes, then
/// non-blocking accepts until none is left. The clients are returned so they stay open.
inline int tcp_accept_queue_capacity(socket& listener, int attempts, std::vector<socket>& clients) {
  const auto where = listener.getsockname();
  for (int i = 0; i < attempts; ++i) {
    socket c(family_of(where), type::stream);
    c.setblocking(false);
    c.connect_ex(where);
    clients.push_back(std::move(c));
  }
  // Admitted handshakes finish in microseconds on loopback; dropped SYNs are retried after ~1 s,
  // so a 300 ms window separates the two cleanly.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  for (auto& c : clients) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    writable_within(c, std::max(left, std::chrono::milliseconds(0)));
  }
  listener.setblocking(false);
  int accepted = 0;
  while (listener.try_accept()) ++accepted;
  return accepted;
}

}  // namespace socklab::conformance
