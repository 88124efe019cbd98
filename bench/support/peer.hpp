// SPDX-License-Identifier: MIT
// The peer side of a benchmark (receiver, echo, acceptor), run in a thread or a child process.
// Its join is bounded: a peer that stalls or dies turns into an error message, never a hang.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "options.hpp"
#include "socklab/socket.hpp"

namespace socklab::bench {

/// What the peer measured; travels back from a child process as plain bytes.
struct peer_result {
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
  std::uint64_t checksum = 0;
  double seconds = 0;  // first byte to last byte, on the peer's clock
  char error[240] = {};
};

class peer_context {
 public:
  peer_context(socket& s, peer_result& r, int stop_fd) : sock(s), result(r), stop_fd_(stop_fd) {}
  socket& sock;
  peer_result& result;
  /// Whether the measuring side asked the peer to finish (datagram receivers have no EOF).
  bool stop_requested() const;
  /// Waits up to `limit` for that request; whether it came.
  bool wait_for_stop(std::chrono::milliseconds limit) const;

 private:
  int stop_fd_;
};

using peer_body = std::function<void(peer_context&)>;

class peer_runner {
 public:
  /// Starts `body` with sole use of `sock` (in process mode the parent's copy is closed, so that
  /// the peer's death shows as EOF or a reset on the measuring side), pinned to `cpu` if given.
  peer_runner(peer_mode mode, std::optional<int> cpu, socket sock, peer_body body);
  ~peer_runner();
  peer_runner(const peer_runner&) = delete;
  peer_runner& operator=(const peer_runner&) = delete;

  void request_stop();
  /// Waits up to `limit` for the peer; its result, or one whose error says why there is none.
  peer_result join(std::chrono::milliseconds limit);

 private:
  struct shared;
  std::shared_ptr<shared> state_;
};

}  // namespace socklab::bench
