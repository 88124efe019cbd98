// SPDX-License-Identifier: MIT
// The loops every benchmark is made of, written once for both twins (Io) and for both kinds of
// run: a local benchmark runs a calibrated count of operations (`count`), the cross-host client
// runs for a duration (`until`). The peer's loops report to a sink: the local peer_context, or
// the remote server's counters.
//
// A sink has got(n, data) for each message received, marker(datagram) for a datagram that is not
// data (true: stop), and patiently(io), which calls io() until it returns or the sink decides an
// idle timeout means stop (std::nullopt).
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>

#include "harness.hpp"
#include "histogram.hpp"

namespace socklab::bench {

/// Runs a loop for n operations.
struct count {
  std::uint64_t n;
  bool operator()(std::uint64_t done) const { return done < n; }
};
/// Runs a loop until a point in time (the clock is read once per operation).
struct until {
  clock::time_point end;
  bool operator()(std::uint64_t /*done*/) const { return clock::now() < end; }
};

// ---- the measuring side ----

/// Sends `msg` whole (sendall) while go() says so; returns how many.
template <class Io, class Go>
std::uint64_t send_stream(socket& s, std::span<const std::byte> msg, Go go) {
  std::uint64_t i = 0;
  for (; go(i); ++i) Io::send_all(s, msg);
  return i;
}

/// Sends `msg` whole while go() says so, each message counted by the sink: the far end of a
/// reverse stream, whose sink acknowledges once the measuring side's count has gone out (or, on
/// the cross-host server, paces to the owner's cap). Returns how many.
template <class Io, class Sink, class Go>
std::uint64_t send_counted(socket& s, std::span<const std::byte> msg, Sink& sink, Go go) {
  std::uint64_t i = 0;
  for (; go(i); ++i) {
    Io::send_all(s, msg);
    sink.got(msg.size(), msg);
  }
  return i;
}

/// What opens each repetition of a local reverse stream: how many messages the far end is to
/// send, as 8 bytes on the stream itself (the measuring side writes nothing else on it).
using stream_request = std::array<std::byte, sizeof(std::uint64_t)>;

/// The measuring side of a reverse stream (iperf3 -R): asks the far end for `messages` messages of
/// buf.size() bytes and reads them all. Returns their additive checksum (with `verify`, else 0).
template <class Io>
std::uint64_t receive_requested(socket& s, std::uint64_t messages, std::span<std::byte> buf, bool verify) {
  stream_request request{};
  std::memcpy(request.data(), &messages, sizeof messages);
  Io::send_all(s, request);
  std::uint64_t checksum = 0;
  for (std::uint64_t left = messages * buf.size(); left > 0;) {
    const auto n =
        Io::recv_some(s, buf.first(static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), left))));
    if (n == 0) throw std::runtime_error("the sender closed with " + std::to_string(left) + " bytes to go");
    if (verify) checksum += byte_sum(buf.first(n));
    left -= n;
  }
  return checksum;
}

/// Sends `msg` as datagrams while go() says so: on the connected socket, or to `to` when given
/// (unconnected sendto). Returns how many the kernel took.
template <class Io, class Go>
std::uint64_t send_datagrams(socket& s, std::span<const std::byte> msg, const target* to, Go go) {
  std::uint64_t i = 0;
  std::uint64_t sent = 0;
  if (to != nullptr) {
    for (; go(i); ++i, ++sent) Io::send_to(s, msg, *to);
  } else {
    for (; go(i); ++i) sent += Io::send(s, msg) ? 1 : 0;
  }
  return sent;
}

/// MSG_ZEROCOPY calls made and the completions read for them.
struct zerocopy_tally {
  std::uint64_t calls = 0;
  std::uint64_t done = 0;
  std::uint64_t copied = 0;  // done, but the kernel copied the data after all
};

/// Reads every zerocopy completion waiting on `s`, without waiting for more.
template <class Io>
void collect_zerocopy(socket& s, zerocopy_tally& t) {
  while (const auto d = Io::read_zerocopy_done(s)) {
    t.done += d->calls();
    if (d->copied) t.copied += d->calls();
  }
}

/// How many zerocopy messages go out between two reads of their completions. Read after every
/// message, the reads were a system call per message that mostly found nothing; left unread too
/// long, completions fill the socket's option memory and sends fail with ENOBUFS. The kernel merges
/// a completion into the one queued before it when their calls are consecutive, so one read every
/// few messages collects a range.
inline constexpr std::uint64_t zerocopy_collect_every = 16;

/// send_stream with MSG_ZEROCOPY: each message sent whole, one call per piece the kernel takes, the
/// completions that have arrived read every zerocopy_collect_every messages. Returns how many
/// messages; the caller collects the rest.
template <class Io, class Go>
std::uint64_t send_stream_zerocopy(socket& s, std::span<const std::byte> msg, zerocopy_tally& t, Go go) {
  std::uint64_t i = 0;
  for (; go(i); ++i) {
    for (std::size_t sent = 0; sent < msg.size(); ++t.calls) sent += Io::send_zerocopy(s, msg.subspan(sent));
    if ((i + 1) % zerocopy_collect_every == 0) collect_zerocopy<Io>(s, t);
  }
  return i;
}

/// Sends `batch`, each buffer one datagram, in one call (sendmmsg) per operation while go() says
/// so; returns how many datagrams the kernel took.
template <class Io, class Go>
std::uint64_t send_batches(socket& s, std::span<const std::span<const std::byte>> batch, Go go) {
  std::uint64_t i = 0;
  std::uint64_t sent = 0;
  for (; go(i); ++i) sent += Io::send_batch(s, batch);
  return sent;
}

/// Sends `data` as datagrams of `segment` bytes in one call (UDP GSO) per operation while go() says
/// so; returns how many datagrams went.
template <class Io, class Go>
std::uint64_t send_segments(socket& s, std::span<const std::byte> data, std::size_t segment, Go go) {
  std::uint64_t i = 0;
  for (; go(i); ++i) Io::send_segmented(s, data, static_cast<std::uint16_t>(segment));
  return i * ((data.size() + segment - 1) / segment);
}

/// What a run of round trips came to. Across hosts, a datagram whose echo did not come back within
/// the socket's receive timeout is lost (and not timed); on loopback that is a stalled peer, and
/// an error. A stream cannot lose one.
struct round_trip_count {
  std::uint64_t answered = 0;
  std::uint64_t lost = 0;
};

/// Reads exactly buf.size() bytes from a stream (the echo may come back in pieces).
template <class Io>
void recv_exact(socket& s, std::span<std::byte> buf) {
  for (std::size_t got = 0; got < buf.size();) {
    const auto n = Io::recv_some(s, buf.subspan(got));
    if (n == 0) throw std::runtime_error("the peer closed in the middle of a message");
    got += n;
  }
}

/// Request/response: `msg` out, the same size back, each answered round trip's time into `h`.
template <class Io, class Go>
round_trip_count round_trips(socket& s, type t, std::span<const std::byte> msg, std::span<std::byte> reply,
                             latency_histogram& h, bool tolerate_loss, Go go) {
  round_trip_count c;
  for (std::uint64_t i = 0; go(i); ++i) {
    const auto t0 = clock::now();
    if (t == type::stream) {
      Io::send_all(s, msg);
      recv_exact<Io>(s, reply);
    } else {
      (void)Io::send(s, msg);  // a datagram refused here is lost like one dropped on the way
      try {
        if (Io::recv_some(s, reply) != msg.size())
          throw std::runtime_error("the echoed datagram has the wrong size");
      } catch (const std::system_error& e) {
        if (!tolerate_loss || !timed_out(e)) throw;
        ++c.lost;
        continue;
      }
    }
    h.record(static_cast<std::uint64_t>(std::chrono::nanoseconds(clock::now() - t0).count()));
    ++c.answered;
  }
  return c;
}

/// New connections to `to`, each with one transaction (`request` out, `reply` back) unless
/// `request` is empty, each waiting for the server's close.
template <class Io, class Go>
std::uint64_t connect_cycles(const target& to, std::span<const std::byte> request, std::span<std::byte> reply,
                             Go go) {
  std::uint64_t i = 0;
  for (; go(i); ++i) Io::connect_cycle(to, request, reply);
  return i;
}

// ---- the peer side ----

/// Reads the stream until end of file, `buf` at a time (as iperf3 -l reads).
template <class Io, class Sink>
void receive_stream(socket& s, std::span<std::byte> buf, Sink& sink) {
  for (;;) {
    const auto n = sink.patiently([&] { return Io::recv_some(s, buf); });
    if (!n || *n == 0) return;
    sink.got(*n, buf.first(*n));
  }
}

/// The far end of a reverse stream: reads a request (stream_request), sends that many `msg`, each
/// counted by the sink, and again, until the end of the stream.
template <class Io, class Sink>
void send_on_request(socket& s, std::span<const std::byte> msg, Sink& sink) {
  for (;;) {
    stream_request request{};
    for (std::size_t got = 0; got < request.size();) {
      const auto n = sink.patiently([&] { return Io::recv_some(s, std::span(request).subspan(got)); });
      if (!n || *n == 0) return;
      got += *n;
    }
    std::uint64_t messages = 0;
    std::memcpy(&messages, request.data(), sizeof messages);
    send_counted<Io>(s, msg, sink, count{messages});
  }
}

/// Counts datagrams of `size` bytes until a marker says stop; `buf` must hold more than `size` and
/// a marker. With `from`, reads with recvfrom (the unconnected server's call, Python's pattern).
template <class Io, class Sink>
void receive_datagrams(socket& s, std::span<std::byte> buf, std::size_t size, bool from, Sink& sink) {
  for (;;) {
    const auto n = sink.patiently([&] { return from ? Io::recv_from(s, buf) : Io::recv_some(s, buf); });
    if (!n) return;
    if (*n == size) {
      sink.got(*n, buf.first(*n));
    } else if (sink.marker(buf.first(*n))) {
      return;
    }
  }
}

/// receive_datagrams a batch at a time (recvmmsg): every buffer holds more than `size` and a marker.
template <class Io, class Sink>
void receive_batches(socket& s, std::span<const std::span<std::byte>> buffers, std::span<std::size_t> sizes,
                     std::size_t size, Sink& sink) {
  for (;;) {
    const auto n = sink.patiently([&] { return Io::recv_batch(s, buffers, sizes); });
    if (!n) return;
    for (std::size_t i = 0; i < *n; ++i) {
      if (sizes[i] == size) {
        sink.got(size, buffers[i].first(size));
      } else if (sink.marker(buffers[i].first(sizes[i]))) {
        return;
      }
    }
  }
}

/// receive_datagrams on a coalescing (UDP GRO) socket: one read may hold many datagrams of `size`
/// bytes, counted as that many, and a shorter last one (a marker, where the path coalesces it).
template <class Io, class Sink>
void receive_coalesced(socket& s, std::span<std::byte> buf, std::size_t size, Sink& sink) {
  for (;;) {
    const auto r = sink.patiently([&] { return Io::recv_coalesced(s, buf); });
    if (!r) return;
    const std::size_t whole = r->segment == size ? r->bytes / size : (r->bytes == size ? 1 : 0);
    if (whole > 0) sink.got(whole * size, buf.first(whole * size), whole);
    const auto rest = buf.subspan(whole * size, r->bytes - whole * size);
    if (!rest.empty() && sink.marker(rest)) return;
  }
}

/// Sends back whatever arrives until end of file.
template <class Io, class Sink>
void echo_stream(socket& s, std::span<std::byte> buf, Sink& sink) {
  for (;;) {
    const auto n = sink.patiently([&] { return Io::recv_some(s, buf); });
    if (!n || *n == 0) return;
    Io::send_all(s, buf.first(*n));
    sink.got(*n, buf.first(*n));
  }
}

/// Sends back every datagram of `size` bytes on the connected socket until a marker says stop.
template <class Io, class Sink>
void echo_datagrams(socket& s, std::span<std::byte> buf, std::size_t size, Sink& sink) {
  for (;;) {
    const auto n = sink.patiently([&] { return Io::recv_some(s, buf); });
    if (!n) return;
    if (*n == size) {
      (void)Io::send(s, buf.first(*n));
      sink.got(*n, buf.first(*n));
    } else if (sink.marker(buf.first(*n))) {
      return;
    }
  }
}

/// Accepts connections, answers each one's request of buf.size() bytes (if any) and closes it,
/// until the sink is told to stop (after an accept).
template <class Io, class Sink>
void accept_connections(socket& listener, std::span<std::byte> buf, Sink& sink) {
  for (;;) {
    if (!sink.patiently([&] {
          Io::accept_and_close(listener, buf);
          return true;
        }))
      return;
    if (sink.stop_requested()) return;
    sink.got(buf.size(), buf);
  }
}

}  // namespace socklab::bench
