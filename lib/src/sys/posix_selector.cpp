// SPDX-License-Identifier: MIT
// POSIX (Linux): the readiness set behind socklab::selector, on epoll. Waits use epoll_pwait2's
// nanosecond timeout where the kernel has it; an older kernel (ENOSYS) gets epoll_wait with the
// time rounded up to whole milliseconds, so a wait may end late, never early.
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>

#include "sys/posix.hpp"

namespace socklab::sys {
namespace {

// The events a caller's wait hands back at most per epoll call; more wait for the next call.
constexpr std::size_t events_per_call = 256;

std::uint32_t native_events(interest events, trigger how) noexcept {
  std::uint32_t e = 0;
  if (has(events, interest::readable)) e |= EPOLLIN;
  if (has(events, interest::writable)) e |= EPOLLOUT;
  if (how == trigger::edge) e |= EPOLLET;
  return e;
}

// epoll_pwait2 where the kernel has it, remembered once it says ENOSYS.
std::atomic<bool> pwait2_missing{false};

int wait_once(int epfd, epoll_event* events, int max, const wait_policy& w) noexcept {
  if (w.how == wait_policy::mode::block) return counted(::epoll_wait, epfd, events, max, -1);
  auto left = w.how == wait_policy::mode::nonblock ? clock::duration::zero() : w.until - clock::now();
  if (left < clock::duration::zero()) left = clock::duration::zero();
#if defined(SYS_epoll_pwait2)
  if (!pwait2_missing.load(std::memory_order_relaxed)) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    const timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    const auto rc = counted(::syscall, SYS_epoll_pwait2, epfd, events, max, &ts, nullptr, 0);
    if (rc >= 0 || errno != ENOSYS) return static_cast<int>(rc);
    pwait2_missing.store(true, std::memory_order_relaxed);
  }
#endif
  const auto ms = std::min<long long>(std::chrono::ceil<std::chrono::milliseconds>(left).count(), INT_MAX);
  return counted(::epoll_wait, epfd, events, max, static_cast<int>(ms));
}

}  // namespace

result<int> open_selector() noexcept {
  const int fd = counted(::epoll_create1, EPOLL_CLOEXEC);
  if (fd < 0) return last_error();
  return fd;
}

std::error_code control_selector(int epfd, selector_change change, int fd, interest events, std::uint64_t key,
                                 trigger how) noexcept {
  epoll_event e{};
  e.events = native_events(events, how);
  e.data.u64 = key;
  const int op = change == selector_change::add      ? EPOLL_CTL_ADD
                 : change == selector_change::modify ? EPOLL_CTL_MOD
                                                     : EPOLL_CTL_DEL;
  if (counted(::epoll_ctl, epfd, op, fd, &e) < 0) return last_error();
  return {};
}

result<std::size_t> wait_selector(int epfd, std::span<ready_event> out, const wait_policy& w) noexcept {
  std::array<epoll_event, events_per_call> events;
  const int max = static_cast<int>(std::min(out.size(), events.size()));
  if (max == 0) return std::error_code(EINVAL, std::system_category());
  for (;;) {
    const int n = wait_once(epfd, events.data(), max, w);
    if (n < 0) {
      if (errno == EINTR) continue;  // PEP 475: go on with the time left (the deadline is fixed)
      return last_error();
    }
    for (int i = 0; i < n; ++i) {
      const auto& got = events[static_cast<std::size_t>(i)];
      const bool error = (got.events & EPOLLERR) != 0;
      const bool hangup = (got.events & EPOLLHUP) != 0;
      out[static_cast<std::size_t>(i)] = {got.data.u64, (got.events & EPOLLIN) != 0 || error || hangup,
                                          (got.events & EPOLLOUT) != 0 || error || hangup, error, hangup};
    }
    return static_cast<std::size_t>(n);
  }
}

}  // namespace socklab::sys
