// SPDX-License-Identifier: MIT
// Fixtures only the conformance suite needs: accept-queue probes, eventual failures. The general
// ones come from lib/tests/: support.hpp (peer threads, loopback pairs, slow readers) and
// blocked_calls.hpp (the signal storm, waiting until a thread is blocked).
#pragma once

#include <fcntl.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <vector>

#include "blocked_calls.hpp"
#include "support.hpp"
#include "support/behaviour.hpp"

namespace socklab::conformance {

using namespace socklab::test;

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
