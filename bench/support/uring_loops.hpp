// SPDX-License-Identifier: MIT
// The io_uring benchmarks' loops, written once for socklab::uring and its raw twin (raw_ring):
// a stream sent as chains of zero-copy sends from a registered buffer and received by a multishot
// receive into provided buffers; and request/response with one submission per round trip on each
// side. Every wait is bounded by `patience`; a wait that passes it fails as a timed-out receive
// does in socklab's timeout mode, so that a peer's sink looks for its stop request (loops.hpp).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>

#include "harness.hpp"
#include "histogram.hpp"
#include "socklab/uring.hpp"

namespace socklab::bench {

/// The most sends one chain holds: one submission for this many messages.
inline constexpr std::size_t uring_chain = 16;

/// Waits up to `patience` for `min` completions and takes what has come: fewer if the time ran
/// out (each caller loops until it has what it waits for), timed_out if none came. A completion
/// taken is never dropped, so a timed-out wait loses nothing.
template <class Ring>
std::size_t wait_completions(Ring& r, std::span<uring_completion> out, std::size_t min,
                             std::chrono::milliseconds patience) {
  const auto n = r.wait(out, min, patience);
  if (n == 0 && min > 0) throw std::system_error(make_error_code(socklab_errc::timed_out), "uring wait");
  return n;
}

[[noreturn]] inline void uring_failed(const uring_completion& c, const char* what) {
  throw std::system_error(c.error(), what);
}

/// Sends `msg`, registered as buffer 0 of `r`, while go() says so: up to uring_chain linked
/// zero-copy sends per submission, each waited for in full, and at the end every notification
/// (the buffer is the caller's again). Returns how many messages went.
template <class Ring, class Go>
std::uint64_t send_stream_uring(Ring& r, const socket& s, std::span<const std::byte> msg,
                                std::chrono::milliseconds patience, Go go) {
  std::array<uring_completion, 64> got{};
  std::uint64_t sent = 0;
  std::uint64_t notifications_due = 0;
  for (;;) {
    std::size_t chain_length = 0;
    while (chain_length < uring_chain && go(sent + chain_length)) ++chain_length;
    if (chain_length == 0) break;
    for (std::size_t k = 0; k < chain_length; ++k)
      r.send_registered(s, msg, 0, sent + k, k + 1 < chain_length ? chain::linked : chain::none);
    for (std::size_t results = 0; results < chain_length;) {
      const auto n = wait_completions(r, got, 1, patience);
      for (std::size_t i = 0; i < n; ++i) {
        const auto& c = got[i];
        if (c.notification) {
          --notifications_due;
          continue;
        }
        if (c.failed()) uring_failed(c, "uring send");
        if (c.bytes() != msg.size())
          throw std::runtime_error("uring send: " + std::to_string(c.bytes()) + " of " +
                                   std::to_string(msg.size()) + " bytes");
        ++results;
        if (c.more) ++notifications_due;
      }
    }
    sent += chain_length;
  }
  while (notifications_due > 0) notifications_due -= wait_completions(r, got, 1, patience);
  return sent;
}

/// Reads a stream until its end with one multishot receive into `r`'s provided buffers, each
/// arrival handed to the sink and its buffer given back; the receive is armed again when the
/// kernel ends it early (no buffer was free).
template <class Ring, class Sink>
void receive_stream_uring(Ring& r, const socket& s, Sink& sink, std::chrono::milliseconds patience) {
  std::array<uring_completion, 64> got{};
  r.recv_multishot(s, 0);
  for (;;) {
    const auto n = sink.patiently([&] { return wait_completions(r, got, 1, patience); });
    if (!n) return;
    for (std::size_t i = 0; i < *n; ++i) {
      const auto& c = got[i];
      if (c.buffer) {
        sink.got(c.bytes(), r.provided(*c.buffer, c.bytes()));
        r.give_back(*c.buffer);
      }
      if (c.more) continue;
      if (c.result == 0) return;  // the end of the stream
      if (c.failed() && c.error() != std::errc::no_buffer_space) uring_failed(c, "uring multishot receive");
      r.recv_multishot(s, 0);
    }
  }
}

/// tcp_stream_uring's receiving end on a ring of its own: `buffers` provided buffers of `size` bytes.
template <class Ring, class Sink>
void receive_stream_on_own_ring(const socket& s, std::uint16_t buffers, std::size_t size, Sink& sink,
                                std::chrono::milliseconds patience) {
  Ring r(128);
  r.provide_buffers(buffers, size);
  receive_stream_uring(r, s, sink, patience);
}

enum : std::uint64_t { request_tag = 1, reply_tag = 2 };

/// Request/response over a stream: `msg` out (a copying send) and the answer read into `reply`,
/// registered as buffer 0 of `r` (a registered receive, again for what is missing), both in one
/// submission; each round trip's time into `h`. Returns how many.
template <class Ring, class Go>
std::uint64_t round_trips_uring(Ring& r, const socket& s, std::span<const std::byte> msg,
                                std::span<std::byte> reply, latency_histogram& h,
                                std::chrono::milliseconds patience, Go go) {
  std::array<uring_completion, 4> got{};
  std::uint64_t i = 0;
  for (; go(i); ++i) {
    const auto t0 = clock::now();
    r.send(s, msg, request_tag);
    r.recv_registered(s, reply, 0, reply_tag);
    bool sent = false;
    for (std::size_t have = 0; !sent || have < reply.size();) {
      // Both completions in one wait where both are due: one system call per round trip.
      const auto n = wait_completions(r, got, (sent ? 0 : 1) + (have < reply.size() ? 1 : 0), patience);
      for (std::size_t k = 0; k < n; ++k) {
        const auto& c = got[k];
        if (c.failed()) uring_failed(c, c.tag == request_tag ? "uring send" : "uring receive");
        if (c.tag == request_tag) {
          sent = true;
          continue;
        }
        if (c.bytes() == 0) throw std::runtime_error("the peer closed in the middle of a message");
        have += c.bytes();
        if (have < reply.size()) r.recv_registered(s, reply.subspan(have), 0, reply_tag);
      }
    }
    h.record(static_cast<std::uint64_t>(std::chrono::nanoseconds(clock::now() - t0).count()));
  }
  return i;
}

/// The echo side: each request read whole into `buf` (registered buffer 0), then sent back and
/// the next request's receive queued behind it in one submission (linked: the receive must not
/// overwrite `buf` before the send has copied it). Ends at the end of the stream.
template <class Ring, class Sink>
void echo_stream_uring(Ring& r, const socket& s, std::span<std::byte> buf, Sink& sink,
                       std::chrono::milliseconds patience) {
  std::array<uring_completion, 4> got{};
  std::size_t have = 0;
  bool replying = false;  // a reply's send is due besides the next request
  r.recv_registered(s, buf, 0, request_tag);
  for (;;) {
    const auto n = sink.patiently([&] { return wait_completions(r, got, replying ? 2 : 1, patience); });
    if (!n) return;
    for (std::size_t k = 0; k < *n; ++k) {
      const auto& c = got[k];
      if (c.tag == reply_tag) {
        if (c.failed()) uring_failed(c, "uring send");
        replying = false;
        continue;
      }
      if (c.result == 0) return;
      if (c.failed()) uring_failed(c, "uring receive");
      have += c.bytes();
      if (have < buf.size()) {
        r.recv_registered(s, buf.subspan(have), 0, request_tag);
        continue;
      }
      sink.got(have, buf);
      have = 0;
      r.send(s, buf, reply_tag, chain::linked);
      r.recv_registered(s, buf, 0, request_tag);
      replying = true;
    }
  }
}

/// tcp_pingpong_uring's echo on a ring of its own: `size`-byte requests into a registered buffer.
template <class Ring, class Sink>
void echo_stream_on_own_ring(const socket& s, std::size_t size, Sink& sink,
                             std::chrono::milliseconds patience) {
  buffer buf(size);
  Ring r(8);
  const std::array<std::span<std::byte>, 1> registered{std::span(buf)};
  r.register_buffers(registered);
  echo_stream_uring(r, s, buf, sink, patience);
}

}  // namespace socklab::bench
