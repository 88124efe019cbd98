// SPDX-License-Identifier: MIT
#include "peer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>

#include "harness.hpp"

namespace socklab::bench {

constexpr auto never = std::numeric_limits<std::uint64_t>::max();

// Lives in shared memory: plain atomics only, lock-free so that they work across fork().
struct peer_board {
  std::atomic<std::uint64_t> target_bytes{never};
  std::atomic<std::uint64_t> target_messages{never};
  std::atomic<std::uint64_t> request{0};  // the number of the latest request
  std::atomic<std::uint64_t> acked{0};    // the number of the latest acknowledged request
  std::atomic<bool> stop{false};
  std::atomic<bool> finished{false};  // the peer's body returned or threw
  peer_report report;                 // written by the peer before it publishes `acked`
  char error[240] = {};
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

namespace {

// pipe2(O_CLOEXEC) where it exists; macOS lacks it.
void make_pipe(int fds[2]) {
  if (::pipe(fds) != 0) throw std::system_error(errno, std::system_category(), "pipe");
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
}

void set_error(peer_board& b, const std::string& what) {
  std::strncpy(b.error, what.c_str(), sizeof b.error - 1);
}

// Ready to read (data, or the other end closed) within `ms`.
bool readable_within(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

std::uint64_t request_of(std::span<const std::byte> marker) {
  std::uint64_t n = 0;
  if (marker.size() >= sizeof n) std::memcpy(&n, marker.data(), sizeof n);
  return n;
}

}  // namespace

bool timed_out(const std::system_error& e) {
  // A kernel timeout (SO_RCVTIMEO) is EAGAIN; socklab's own timeout mode raises timed_out.
  return e.code() == std::errc::resource_unavailable_try_again ||
         e.code() == std::errc::operation_would_block || e.code() == socklab_errc::timed_out;
}

std::vector<std::byte> marker_datagram(std::uint64_t request, std::size_t data_size) {
  std::vector<std::byte> m(data_size == sizeof request ? sizeof request + 1 : sizeof request);
  std::memcpy(m.data(), &request, sizeof request);
  return m;
}

void peer_context::got(std::size_t n, std::span<const std::byte> data, std::uint64_t messages) {
  seen_.bytes += n;
  seen_.messages += messages;
  if (verify_) seen_.checksum += byte_sum(data);
  if (seen_.bytes >= board_.target_bytes.load(std::memory_order_acquire) ||
      seen_.messages >= board_.target_messages.load(std::memory_order_acquire))
    acknowledge();
}

bool peer_context::marker(std::span<const std::byte> datagram) {
  if (board_.stop.load(std::memory_order_acquire)) return true;
  const auto request = board_.request.load(std::memory_order_acquire);
  // A marker of an earlier request, resent while its acknowledgement was on the way, is stale.
  if (request_of(datagram) == request && board_.acked.load(std::memory_order_relaxed) != request)
    acknowledge();
  return false;
}

void peer_context::acknowledge() {
  seen_.cost = thread_cost::now();
  board_.report = seen_;
  board_.target_bytes.store(never, std::memory_order_relaxed);
  board_.target_messages.store(never, std::memory_order_relaxed);
  board_.acked.store(board_.request.load(std::memory_order_acquire), std::memory_order_release);
  const char byte = 1;
  [[maybe_unused]] const auto n = ::write(ack_fd_, &byte, 1);
}

bool peer_context::stop_requested() const { return board_.stop.load(std::memory_order_acquire); }

bool peer_context::wait_for_stop(std::chrono::milliseconds limit) const {
  // The stop pipe becomes readable with a request, or with end of file when the parent is gone.
  return stop_requested() || readable_within(stop_fd_, static_cast<int>(limit.count()));
}

struct peer_runner::shared {
  peer_mode mode;
  socket sock;
  peer_board* board = nullptr;  // shared memory
  int stop_pipe[2] = {-1, -1};
  int ack_pipe[2] = {-1, -1};
  pid_t child = -1;
  std::thread thread;
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  bool joined = false;

  ~shared() {
    for (int fd : {stop_pipe[0], stop_pipe[1], ack_pipe[0], ack_pipe[1]})
      if (fd >= 0) ::close(fd);
    if (board != nullptr) {
      board->~peer_board();
      ::munmap(board, sizeof *board);
    }
  }
};

namespace {

// Runs the body, then says it ended: whoever waits for an acknowledgement wakes up at once.
void run_body(const peer_body& body, peer_context& ctx, peer_board& board, int ack_fd) {
  try {
    body(ctx);
  } catch (const std::exception& e) {
    set_error(board, std::string("peer: ") + e.what());
  }
  board.finished.store(true, std::memory_order_release);
  const char byte = 0;
  [[maybe_unused]] const auto n = ::write(ack_fd, &byte, 1);
}

}  // namespace

peer_runner::peer_runner(peer_mode mode, std::optional<int> cpu, socket sock, peer_body body, bool verify)
    : state_(std::make_shared<shared>()) {
  auto& s = *state_;
  s.mode = mode;
  s.sock = std::move(sock);
  void* mem = ::mmap(nullptr, sizeof(peer_board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw std::system_error(errno, std::system_category(), "mmap");
  s.board = new (mem) peer_board;
  make_pipe(s.stop_pipe);
  make_pipe(s.ack_pipe);
  if (mode == peer_mode::thread) {
    s.thread = std::thread([state = state_, cpu, verify, body = std::move(body)] {
      if (cpu) pin_current_thread(*cpu);
      peer_context ctx(state->sock, *state->board, state->stop_pipe[0], state->ack_pipe[1], verify);
      run_body(body, ctx, *state->board, state->ack_pipe[1]);
      std::lock_guard lock(state->m);
      state->done = true;
      state->cv.notify_all();
    });
    return;
  }
  s.child = ::fork();
  if (s.child < 0) throw std::system_error(errno, std::system_category(), "fork");
  if (s.child == 0) {
    plant_slowdown(0.0);  // a planted slowdown is the measuring thread's; the child inherited it
#if defined(__linux__)
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a peer never outlives the run, even one that crashed
#endif
    if (cpu) pin_current_thread(*cpu);
    peer_context ctx(s.sock, *s.board, s.stop_pipe[0], s.ack_pipe[1], verify);
    run_body(body, ctx, *s.board, s.ack_pipe[1]);
    ::_exit(0);
  }
  s.sock.close();                             // the child owns the peer's end now
  ::close(std::exchange(s.ack_pipe[1], -1));  // so that the child's exit shows as end of file
}

void peer_runner::expect_bytes(std::uint64_t total) {
  auto& b = *state_->board;
  b.target_bytes.store(total, std::memory_order_release);
  b.request.fetch_add(1, std::memory_order_acq_rel);
}

void peer_runner::expect_messages(std::uint64_t total) {
  auto& b = *state_->board;
  b.target_messages.store(total, std::memory_order_release);
  b.request.fetch_add(1, std::memory_order_acq_rel);
}

std::vector<std::byte> peer_runner::expect_marker(std::size_t data_size) {
  const auto request = state_->board->request.fetch_add(1, std::memory_order_acq_rel) + 1;
  return marker_datagram(request, data_size);
}

peer_report peer_runner::acknowledged(std::chrono::milliseconds limit, const std::function<void()>& nudge) {
  auto& s = *state_;
  const auto wanted = s.board->request.load(std::memory_order_acquire);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  // A marker may be dropped by a full receive queue: it is sent again every 2 ms.
  const int slice_ms = nudge ? 2 : static_cast<int>(limit.count());
  for (;;) {
    if (nudge) nudge();
    if (readable_within(s.ack_pipe[0], slice_ms)) {
      char byte = 0;
      const auto n = ::read(s.ack_pipe[0], &byte, 1);
      if (s.board->acked.load(std::memory_order_acquire) == wanted) return s.board->report;
      if (n == 0 || s.board->finished.load(std::memory_order_acquire)) {
        const std::string why = s.board->error;
        throw std::runtime_error(why.empty() ? "the peer ended before the repetition did" : why);
      }
    }
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("the peer did not acknowledge within the " + std::to_string(limit.count()) +
                               " ms watchdog");
  }
}

void peer_runner::request_stop() {
  state_->board->stop.store(true, std::memory_order_release);
  const char byte = 1;
  [[maybe_unused]] const auto n = ::write(state_->stop_pipe[1], &byte, 1);
}

std::string peer_runner::join(std::chrono::milliseconds limit, const std::function<void()>& nudge) {
  auto& s = *state_;
  if (s.joined) return s.board->error;
  s.joined = true;
  request_stop();  // a stream peer ends on end of file anyway; any other needs to be told
  const auto deadline = std::chrono::steady_clock::now() + limit;
  const auto slice = nudge ? std::chrono::milliseconds(2) : limit;
  if (s.mode == peer_mode::thread) {
    std::unique_lock lock(s.m);
    for (;;) {
      if (nudge) nudge();
      if (s.cv.wait_for(lock, slice, [&] { return s.done; }) || std::chrono::steady_clock::now() >= deadline)
        break;
    }
    if (!s.done) {
      lock.unlock();
      s.thread.detach();  // it holds its own reference to the shared state, freed when it ends
      return "peer thread did not finish within " + std::to_string(limit.count()) + " ms";
    }
    lock.unlock();
    s.thread.join();
    return s.board->error;
  }
  // The child holds the only write end of the acknowledgement pipe: end of file means it is gone.
  std::string why;
  for (char byte = 0;;) {
    if (nudge) nudge();
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(s.child, SIGKILL);
      why = "peer process did not finish within " + std::to_string(limit.count()) + " ms (killed)";
      break;
    }
    if (!readable_within(s.ack_pipe[0], static_cast<int>(std::min(left, slice).count()))) continue;
    if (::read(s.ack_pipe[0], &byte, 1) <= 0) break;
  }
  int status = 0;
  ::waitpid(s.child, &status, 0);
  s.child = -1;
  if (why.empty() && !s.board->finished.load(std::memory_order_acquire)) why = "peer process died";
  return why.empty() ? std::string(s.board->error) : why;
}

peer_runner::~peer_runner() {
  if (state_ && !state_->joined) join(std::chrono::milliseconds(2000));
}

}  // namespace socklab::bench
