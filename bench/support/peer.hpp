// SPDX-License-Identifier: MIT
// The peer side of a benchmark (receiver, echo, acceptor), run in a thread or a child process for
// as long as its benchmark lasts, across repetitions. The measuring side and the peer share a small
// board (shared memory, so that a forked peer shares it too): before a repetition the measuring
// side says how many bytes or messages the peer will have received in all when it is over; the
// peer acknowledges that moment with its counts and its own CPU cost, so a repetition is timed
// until the data has arrived, not until it was handed to the kernel. Datagrams may be lost, so a
// datagram repetition ends with a marker instead: a datagram of another size carrying the request's
// number. Every wait is bounded: a peer that stalls or dies turns into an error, never a hang.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "engine/cost.hpp"
#include "options.hpp"
#include "socklab/socket.hpp"

namespace socklab::bench {

/// What the peer had received in all when it acknowledged a request, and what it had cost it.
struct peer_report {
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
  std::uint64_t checksum = 0;  // additive checksum of every byte (with --verify)
  thread_cost cost;
};

struct peer_board;

/// Whether a socket call failed because its kernel timeout (SO_RCVTIMEO/SO_SNDTIMEO) expired.
bool timed_out(const std::system_error& e);

/// The marker that ends a datagram repetition: the request's number, in a datagram whose size is
/// never `data_size`, so that the peer tells it from data.
std::vector<std::byte> marker_datagram(std::uint64_t request, std::size_t data_size);

class peer_context {
 public:
  peer_context(socket& s, peer_board& b, int stop_fd, int ack_fd, bool verify)
      : sock(s), board_(b), stop_fd_(stop_fd), ack_fd_(ack_fd), verify_(verify) {}
  socket& sock;

  /// Counts a received message (a datagram, a stream read, an accepted connection) of `n` bytes, or
  /// `messages` of them in `n` bytes (a coalesced read), and acknowledges the pending request once
  /// its count is reached. Cheap: two loads and a compare.
  void got(std::size_t n, std::span<const std::byte> data = {}, std::uint64_t messages = 1);
  /// Handles a datagram that is not data (see marker_datagram): acknowledges the request it names
  /// if that is the pending one. True when the measuring side asked the peer to stop.
  bool marker(std::span<const std::byte> datagram);
  /// Whether the measuring side asked the peer to finish (one load: cheap enough for a hot loop).
  bool stop_requested() const;
  /// Waits up to `limit` for a stop request, or for the measuring process to go away; whether
  /// either came.
  bool wait_for_stop(std::chrono::milliseconds limit) const;
  /// The peer is idle while other benchmarks run: its socket's receive timeout (the watchdog) only
  /// wakes it to see whether it should stop. Calls `io` until it returns (the result) or a timeout
  /// finds a stop request (std::nullopt).
  template <class F>
  auto patiently(F&& io) -> std::optional<decltype(io())> {
    for (;;) {
      try {
        return io();
      } catch (const std::system_error& e) {
        if (!timed_out(e)) throw;
        if (wait_for_stop(std::chrono::milliseconds(0))) return std::nullopt;
      }
    }
  }

 private:
  void acknowledge();
  peer_board& board_;
  int stop_fd_;
  int ack_fd_;
  bool verify_;
  peer_report seen_;
};

using peer_body = std::function<void(peer_context&)>;

class peer_runner {
 public:
  /// Starts `body` with sole use of `sock` (in process mode the parent's copy is closed, so that
  /// the peer's death shows as EOF or a reset on the measuring side), pinned to `cpu` if given.
  /// With `verify`, got() checksums the data it is given.
  peer_runner(peer_mode mode, std::optional<int> cpu, socket sock, peer_body body, bool verify = false);
  ~peer_runner();
  peer_runner(peer_runner&&) noexcept = default;
  peer_runner& operator=(peer_runner&&) = delete;

  /// The next request: acknowledge once this many bytes (or messages) have arrived in all.
  void expect_bytes(std::uint64_t total);
  void expect_messages(std::uint64_t total);
  /// The next request is acknowledged on its marker; returns the marker to send.
  std::vector<std::byte> expect_marker(std::size_t data_size);
  /// Waits up to `limit` for the acknowledgement of the last request, calling `nudge` (to send the
  /// marker again: datagrams may be dropped) every few milliseconds meanwhile. Throws when the
  /// peer failed, died or stayed silent.
  peer_report acknowledged(std::chrono::milliseconds limit, const std::function<void()>& nudge = {});

  /// Asks the peer to finish (board flag and stop pipe); a datagram peer also needs a marker.
  void request_stop();
  /// Asks the peer to stop and waits up to `limit` for it to end, calling `nudge` (to send a stop
  /// marker) every few milliseconds meanwhile; "" or why it did not end well.
  std::string join(std::chrono::milliseconds limit, const std::function<void()>& nudge = {});

 private:
  struct shared;
  std::shared_ptr<shared> state_;
};

}  // namespace socklab::bench
