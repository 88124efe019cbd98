// SPDX-License-Identifier: MIT
// Fault injection on loopback: the peer process is SIGKILLed mid-call, a signal storm hits calls
// the conformance suite's SIG-* behaviours do not (accept, timed connect), and descriptors run out.
// Each outcome is the documented one, within a bound.
#include "socklab/socket.hpp"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>
#include <vector>

#include "blocked_calls.hpp"
#include "support.hpp"

namespace socklab::test {
namespace {

// A child process holding one TCP connection to `where`, blocked on a pipe it never gets data
// from, until it is killed: by the test (kill()), or by the destructor on every path.
class connected_child {
 public:
  explicit connected_child(const sockaddr_in& where) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::system_error(errno, std::system_category(), "pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls here: the parent is multi-threaded.
      ::close(fds[1]);
      const int s = ::socket(AF_INET, SOCK_STREAM, 0);
      if (s < 0 || ::connect(s, reinterpret_cast<const sockaddr*>(&where), sizeof where) != 0) ::_exit(3);
      char byte;
      while (::read(fds[0], &byte, 1) < 0 && errno == EINTR) {
      }
      ::_exit(0);
    }
    ::close(fds[0]);
    hold_ = fds[1];
  }
  ~connected_child() {
    kill();
    ::close(hold_);
  }
  connected_child(const connected_child&) = delete;
  connected_child& operator=(const connected_child&) = delete;

  /// SIGKILL, then reaps it; whether it died of that signal (false if it had exited already).
  bool kill() {
    if (pid_ <= 0) return killed_;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    killed_ = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    return killed_;
  }

 private:
  pid_t pid_ = -1;
  int hold_ = -1;
  bool killed_ = false;
};

sockaddr_in native(const ipv4_address& a) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<std::uint16_t>(a.port));
  std::copy(a.host.begin(), a.host.end(), reinterpret_cast<std::uint8_t*>(&sin.sin_addr));
  return sin;
}

// SIGPIPE at its default disposition for the test: a leak would kill the test binary loudly.
class default_sigpipe {
 public:
  default_sigpipe() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &dfl, &saved_);
  }
  ~default_sigpipe() { ::sigaction(SIGPIPE, &saved_, nullptr); }
  default_sigpipe(const default_sigpipe&) = delete;
  default_sigpipe& operator=(const default_sigpipe&) = delete;

 private:
  struct sigaction saved_ {};
};

// The child connected to `l`, and the accepted end.
struct child_connection {
  std::unique_ptr<connected_child> child;
  socket conn;
};

child_connection connect_child(socket& l) {
  auto child = std::make_unique<connected_child>(native(std::get<ipv4_address>(l.getsockname())));
  l.settimeout(loopback_timeout);
  auto [conn, addr] = l.accept();
  conn.settimeout(loopback_timeout);  // a hang would be a bug: it fails as timeout_error instead
  return {std::move(child), std::move(conn)};
}

// Kills the child once the calling thread is seen blocked in the kernel.
peer kill_when_blocked(connected_child& child, int tid, bool& killed) {
  return peer([&child, tid, &killed] {
    const bool blocked = wait_until_blocked(tid);
    killed = child.kill();
    if (!blocked) throw std::runtime_error("the call was never seen blocked");
  });
}

TEST(Faults, PeerKilledMidSendallRaisesAndNeverSigpipe) {
  default_sigpipe guard;
  auto l = listener();
  auto [child, conn] = connect_child(l);
  bool killed = false;
  auto killer = kill_when_blocked(*child, current_tid(), killed);
  const std::vector<std::byte> big(std::size_t{64} << 20);  // far more than the buffers hold
  try {
    conn.sendall(big);
    ADD_FAILURE() << "sendall of 64 MiB to a peer that never reads returned";
  } catch (const broken_pipe_error&) {
  } catch (const connection_reset_error&) {
  }
  killer.join();
  EXPECT_TRUE(killed);
}

TEST(Faults, PeerKilledMidRecvReadsEndOfStream) {
  auto l = listener();
  auto [child, conn] = connect_child(l);
  bool killed = false;
  auto killer = kill_when_blocked(*child, current_tid(), killed);
  EXPECT_TRUE(conn.recv(64).empty()) << "the kernel closes a killed process's socket with FIN";
  killer.join();
  EXPECT_TRUE(killed);
}

TEST(Faults, PeerKilledWithUnreadDataMidRecvIsAReset) {
  auto l = listener();
  auto [child, conn] = connect_child(l);
  conn.sendall(as_bytes("the child never reads this"));
  bool killed = false;
  auto killer = kill_when_blocked(*child, current_tid(), killed);
  EXPECT_THROW(conn.recv(64), connection_reset_error) << "unread data turns the close into RST";
  killer.join();
  EXPECT_TRUE(killed);
}

TEST(Faults, BlockingAcceptUnderASignalStormWaitsForTheClient) {
  auto l = listener();
  const int acceptor = current_tid();
  const long before = signal_storm::delivered();
  std::optional<socket> client;
  {
    signal_storm storm;
    peer connector([&] {
      const bool ok = wait_until_blocked(acceptor) && storm_reached(before, 50);
      client.emplace();
      client->connect(l.getsockname());  // made either way, so accept returns
      if (!ok) throw std::runtime_error("accept was never seen blocked under the storm");
    });
    auto [conn, addr] = l.accept();
    connector.join();
    EXPECT_EQ(addr, client->getsockname());
  }
  EXPECT_GE(signal_storm::delivered() - before, 50);
}

TEST(Faults, TimedAcceptAndConnectUnderASignalStormKeepTheirDeadlines) {
  auto l = listener();
  socket server;
  server.bind(ipv4_address::loopback());
  server.listen(0);
  socket queued;
  queued.connect(server.getsockname());  // Linux admits backlog + 1: the queue is now full
  const long before = signal_storm::delivered();
  signal_storm storm;
  l.settimeout(300ms);
  const double accept_s = seconds_taken([&] { EXPECT_THROW(l.accept(), timeout_error); });
  socket c;
  c.settimeout(300ms);
  const double connect_s =
      seconds_taken([&] { EXPECT_THROW(c.connect(server.getsockname()), timeout_error); });
  EXPECT_GT(signal_storm::delivered() - before, 10);
  for (const double elapsed : {accept_s, connect_s}) {
    EXPECT_GE(elapsed, 0.298);
    EXPECT_LT(elapsed, 2.3);
  }
}

// Child exit codes of the descriptor-exhaustion scenario, one per step that can go wrong.
enum exhaustion_step : int {
  ok = 0,
  setup_failed = 10,
  socket_never_failed,
  socket_wrong_error,
  accept_did_not_fail,
  accept_wrong_error,
  no_recovery_accept,
  no_recovery_socket
};

int exhaust_descriptors() {
  try {
    auto l = listener();
    socket pending;
    pending.connect(l.getsockname());  // waits in the accept queue
    // UBSan's vptr check probes memory through a pipe the first time it meets a type: let it meet
    // the error path's types while descriptors are still there to make one.
    try {
      throw_error(std::error_code(EMFILE, std::system_category()), "warm-up");
    } catch (const error&) {
    }
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = static_cast<rlim_t>(*open_fds().rbegin()) + 8;
    if (lim.rlim_cur > 8192 || ::setrlimit(RLIMIT_NOFILE, &lim) != 0) return setup_failed;
    std::vector<socket> filler;
    bool refused = false;
    // Free numbers below the limit may lie anywhere under the highest open descriptor: at most
    // rlim_cur sockets fill them all.
    for (rlim_t i = 0; i <= lim.rlim_cur && !refused; ++i) {
      try {
        filler.emplace_back();
      } catch (const error& e) {
        if (e.code() != std::errc::too_many_files_open) return socket_wrong_error;
        refused = true;
      }
    }
    if (!refused) return socket_never_failed;
    try {
      l.accept();
      return accept_did_not_fail;
    } catch (const error& e) {
      if (e.code() != std::errc::too_many_files_open) return accept_wrong_error;
    }
    filler.pop_back();  // one descriptor free again: the pending connection is still there
    try {
      l.settimeout(loopback_timeout);
      l.accept();
    } catch (const error&) {
      return no_recovery_accept;
    }
    filler.clear();
    try {
      socket again;
    } catch (const error&) {
      return no_recovery_socket;
    }
    return ok;
  } catch (...) {
    return setup_failed;
  }
}

TEST(Faults, DescriptorExhaustionRaisesEmfileAndRecovers) {
  EXPECT_EQ(in_child(exhaust_descriptors), ok)
      << "10 setup, 11 socket() never failed, 12 socket() wrong error, 13 accept() did not fail, "
         "14 accept() wrong error, 15/16 no recovery after closing";
}

}  // namespace
}  // namespace socklab::test
