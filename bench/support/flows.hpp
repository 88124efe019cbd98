// SPDX-License-Identifier: MIT
// Many flows per thread, as neper drives them: each thread owns some flows' non-blocking sockets
// and one readiness set (epoll) over them, level- or edge-triggered. A sending thread writes one
// message (or the rest of one) to each flow that can take it, round-robin, and waits on its set
// only when none can; a receiving thread reads whatever the set reports, counting bytes per flow.
// Written once for both twins (Io: socklab's selector and try_ calls, or epoll and MSG_DONTWAIT).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/cost.hpp"
#include "harness.hpp"
#include "histogram.hpp"

namespace socklab::bench {

/// What the receiving threads have counted, and the measuring thread waits on.
class flow_progress {
 public:
  explicit flow_progress(std::size_t flows) : per_flow_(flows) {}

  /// A receiving thread's bytes for flow i.
  void got(std::size_t i, std::uint64_t bytes) {
    per_flow_[i].fetch_add(bytes, std::memory_order_relaxed);
    if (total_.fetch_add(bytes, std::memory_order_acq_rel) + bytes >=
        target_.load(std::memory_order_acquire)) {
      const std::lock_guard lock(mutex_);
      changed_.notify_all();
    }
  }
  /// A receiving thread failed: the waiting side rethrows it.
  void failed(std::exception_ptr e) {
    const std::lock_guard lock(mutex_);
    if (!error_) error_ = std::move(e);
    changed_.notify_all();
  }
  /// Waits until `target` bytes have arrived in all; throws if a receiver failed or `limit` passed.
  void await(std::uint64_t target, std::chrono::milliseconds limit) {
    target_.store(target, std::memory_order_release);
    std::unique_lock lock(mutex_);
    const bool arrived = changed_.wait_for(
        lock, limit, [&] { return error_ || total_.load(std::memory_order_acquire) >= target; });
    if (error_) std::rethrow_exception(error_);
    if (!arrived)
      throw std::runtime_error("the receivers counted " + std::to_string(total_.load()) + " of " +
                               std::to_string(target) + " bytes within the watchdog");
  }
  std::uint64_t flow(std::size_t i) const { return per_flow_[i].load(std::memory_order_relaxed); }

  // The receiving threads' CPU, on request: a thread can only read its own (getrusage), so each
  // publishes it the next time it wakes (within flow_wait_slice) after ask_costs().
  void ask_costs(std::size_t threads) {
    const std::lock_guard lock(mutex_);
    costs_.assign(threads, thread_cost{});
    reported_ = 0;
    asked_.fetch_add(1, std::memory_order_acq_rel);
  }
  std::uint64_t asked() const { return asked_.load(std::memory_order_acquire); }
  void report_cost(std::size_t thread, const thread_cost& c) {
    const std::lock_guard lock(mutex_);
    if (thread < costs_.size()) costs_[thread] = c;
    ++reported_;
    changed_.notify_all();
  }
  /// The receivers' costs summed, once all have reported; throws after `limit`.
  thread_cost costs(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, limit, [&] { return error_ || reported_ >= costs_.size(); }))
      throw std::runtime_error("a receiving thread did not report its CPU time");
    if (error_) std::rethrow_exception(error_);
    thread_cost sum;
    for (const auto& c : costs_) sum = sum + c;
    return sum;
  }

 private:
  std::vector<thread_cost> costs_;
  std::size_t reported_ = 0;
  std::atomic<std::uint64_t> asked_{0};
  std::vector<std::atomic<std::uint64_t>> per_flow_;
  std::atomic<std::uint64_t> total_{0};
  std::atomic<std::uint64_t> target_{UINT64_MAX};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::exception_ptr error_;
};

/// How long a thread waits on its set before it looks at the clock (and a stop request) again.
inline constexpr auto flow_wait_slice = std::chrono::milliseconds(20);

/// Sends `budget` bytes over the flows `mine` (indices into `socks`, also their keys in `r`, where
/// each is registered for writing), `msg` at a time, adding each flow's bytes to sent[i];
/// sent[i] % msg.size() is where flow i's current message goes on. Throws when no flow could take
/// a byte for `limit`.
template <class Io>
void send_flows(typename Io::readiness& r, std::span<socket> socks, std::span<const std::size_t> mine,
                std::span<std::uint64_t> sent, std::span<const std::byte> msg, std::uint64_t budget,
                bool edge, std::chrono::milliseconds limit) {
  std::vector<std::size_t> ready(mine.begin(), mine.end());  // at first, every flow may take some
  std::vector<char> listed(socks.size(), 0);
  for (const auto i : mine) listed[i] = 1;
  std::array<typename Io::ready, 64> events{};
  auto stalled_since = clock::now();
  while (budget > 0) {
    if (ready.empty()) {
      if (clock::now() - stalled_since > limit)
        throw std::runtime_error("no flow could take more data within the watchdog");
      const auto n = Io::wait_ready(r, events, flow_wait_slice);
      for (std::size_t e = 0; e < n; ++e) {
        const auto i = static_cast<std::size_t>(Io::key_of(events[e]));
        if (!listed[i]) ready.push_back(i);
        listed[i] = 1;
      }
      continue;
    }
    std::size_t kept = 0;
    for (std::size_t j = 0; j < ready.size(); ++j) {
      const auto i = ready[j];
      if (budget == 0) {
        ready[kept++] = i;
        continue;
      }
      auto piece = msg.subspan(static_cast<std::size_t>(sent[i] % msg.size()));
      if (piece.size() > budget) piece = piece.first(static_cast<std::size_t>(budget));
      const auto took = Io::send_now(socks[i], piece);
      if (!took) {
        listed[i] = 0;  // full: off the list until its set reports it writable again
        continue;
      }
      budget -= *took;
      sent[i] += *took;
      ready[kept++] = i;
    }
    ready.resize(kept);
    stalled_since = clock::now();
    if (!edge) {  // level: ask the set afresh each pass, as a level-triggered server does
      for (const auto i : ready) listed[i] = 0;
      ready.clear();
    }
  }
}

/// Receiving thread `thread`: reads the flows `socks` (registered in `r` for reading, key =
/// position) until `stop` is set, counting socks[k]'s bytes as flow flow_of[k]'s in `progress`, and
/// closing each flow that ends. With `echo`, every byte read is sent straight back (request_flows'
/// far end: one request in flight per flow, so the answer always fits). With edge triggering a
/// reported flow is read until it would block; with level, once per report.
template <class Io>
void receive_flows(std::size_t thread, typename Io::readiness& r, std::span<socket> socks,
                   std::span<const std::size_t> flow_of, std::span<std::byte> buf, bool edge, bool echo,
                   const std::atomic<bool>& stop, flow_progress& progress) {
  std::array<typename Io::ready, 64> events{};
  std::uint64_t answered = 0;  // the requests before any: a thread that starts late still answers
  while (!stop.load(std::memory_order_relaxed)) {
    if (const auto asked = progress.asked(); asked != answered) {
      answered = asked;
      progress.report_cost(thread, thread_cost::now());
    }
    const auto n = Io::wait_ready(r, events, flow_wait_slice);
    for (std::size_t e = 0; e < n; ++e) {
      const auto k = static_cast<std::size_t>(Io::key_of(events[e]));
      if (socks[k].fileno() < 0) continue;  // ended earlier in this batch
      std::uint64_t bytes = 0;
      do {
        const auto got = Io::recv_now(socks[k], buf);
        if (!got) break;
        if (*got == 0) {
          socks[k].close();  // leaves the set too (an empty set's wait just times out)
          break;
        }
        if (echo) {
          const auto back = Io::send_now(socks[k], buf.first(*got));
          if (!back || *back != *got) throw std::runtime_error("an answer did not fit its flow's socket");
        }
        bytes += *got;
      } while (edge);
      if (bytes > 0) progress.got(flow_of[k], bytes);
    }
  }
}

/// Request/response over many flows (TCP_RR with many flows, as neper's tcp_rr), against
/// receive_flows with `echo` at the far end: one `request` in flight per flow; each flow's answer
/// (request.size() bytes back) is read as the set reports it, and then the flow's next request goes out,
/// until `budget` transactions are done on this thread's flows `mine` (registered in `r` for reading).
/// done[i] counts flow i's transactions and each one's round trip goes into `h`. Throws when no answer came
/// for `limit`, or a request did not fit a socket that has nothing else to send.
template <class Io>
void request_flows(typename Io::readiness& r, std::span<socket> socks, std::span<const std::size_t> mine,
                   std::span<std::uint64_t> done, std::span<const std::byte> request,
                   std::span<std::byte> buf, std::uint64_t budget, bool edge, latency_histogram& h,
                   std::chrono::milliseconds limit) {
  const std::size_t size = request.size();
  std::vector<std::size_t> got(socks.size(), 0);
  std::vector<clock::time_point> sent_at(socks.size());
  std::uint64_t started = 0;
  std::uint64_t finished = 0;
  const auto send_request = [&](std::size_t i) {
    const auto took = Io::send_now(socks[i], request);
    if (!took || *took != size) throw std::runtime_error("a request did not fit an idle flow's socket");
    sent_at[i] = clock::now();
    ++started;
  };
  for (const auto i : mine) {
    if (started == budget) break;
    send_request(i);
  }
  std::array<typename Io::ready, 64> events{};
  auto quiet_since = clock::now();
  while (finished < budget) {
    const auto n = Io::wait_ready(r, events, flow_wait_slice);
    if (n == 0) {
      if (clock::now() - quiet_since > limit) throw std::runtime_error("no answer came within the watchdog");
      continue;
    }
    for (std::size_t e = 0; e < n; ++e) {
      const auto i = static_cast<std::size_t>(Io::key_of(events[e]));
      do {
        const auto read = Io::recv_now(socks[i], buf.first(size - got[i]));
        if (!read) break;
        if (*read == 0) throw std::runtime_error("a flow's peer closed in the middle of the run");
        got[i] += *read;
        if (got[i] < size) continue;
        const auto now = clock::now();
        h.record(static_cast<std::uint64_t>(std::chrono::nanoseconds(now - sent_at[i]).count()));
        got[i] = 0;
        ++done[i];
        ++finished;
        if (started < budget) send_request(i);
        if (!edge) break;
      } while (true);
    }
    quiet_since = clock::now();
  }
}

}  // namespace socklab::bench
