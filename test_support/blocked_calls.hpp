// SPDX-License-Identifier: MIT
// Interrupting and observing blocked calls, for the conformance suite's signal behaviours and the
// library's fault-injection tests: a signal storm, a bounded wait until a thread is asleep in a
// system call, and a bounded child process.
#pragma once

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

namespace socklab::test {

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

/// Waits until the storm has delivered `n` more signals than `from`; false if not within `limit`.
inline bool storm_reached(long from, long n,
                          std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (signal_storm::delivered() - from < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
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

/// Runs `body` (returning an exit code) in a forked child; its exit status, or -1 if it did not exit
/// within `limit` (it is then killed) or died by a signal.
template <class F>
int in_child(F body, std::chrono::seconds limit = std::chrono::seconds(10)) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::yield();
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace socklab::test
