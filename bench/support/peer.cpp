// SPDX-License-Identifier: MIT
#include "peer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "io.hpp"
#include "placement.hpp"

namespace socklab::bench {
namespace {

// pipe2(O_CLOEXEC) where it exists; macOS lacks it.
void make_pipe(int fds[2]) {
  if (::pipe(fds) != 0) throw std::system_error(errno, std::system_category(), "pipe");
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
}

void set_error(peer_result& r, const std::string& what) {
  std::strncpy(r.error, what.c_str(), sizeof r.error - 1);
}

void run_body(const peer_body& body, peer_context& ctx) {
  try {
    body(ctx);
  } catch (const std::exception& e) {
    set_error(ctx.result, std::string("peer: ") + e.what());
  }
}

bool readable_within(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

}  // namespace

bool peer_context::stop_requested() const { return wait_for_stop(std::chrono::milliseconds(0)); }

bool peer_context::wait_for_stop(std::chrono::milliseconds limit) const {
  return readable_within(stop_fd_, static_cast<int>(limit.count()));
}

struct peer_runner::shared {
  peer_mode mode;
  socket sock;
  peer_result result;
  int stop_pipe[2] = {-1, -1};
  int result_pipe[2] = {-1, -1};  // process mode: the child's result
  pid_t child = -1;
  std::thread thread;
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  bool joined = false;
  bool detached = false;  // a stalled thread still uses the pipes: they are left open for it
};

peer_runner::peer_runner(peer_mode mode, std::optional<int> cpu, socket sock, peer_body body)
    : state_(std::make_shared<shared>()) {
  auto& s = *state_;
  s.mode = mode;
  s.sock = std::move(sock);
  make_pipe(s.stop_pipe);
  if (mode == peer_mode::thread) {
    s.thread = std::thread([state = state_, cpu, body = std::move(body)] {
      if (cpu) pin_current_thread(*cpu);
      peer_context ctx(state->sock, state->result, state->stop_pipe[0]);
      run_body(body, ctx);
      std::lock_guard lock(state->m);
      state->done = true;
      state->cv.notify_all();
    });
    return;
  }
  make_pipe(s.result_pipe);
  s.child = ::fork();
  if (s.child < 0) throw std::system_error(errno, std::system_category(), "fork");
  if (s.child == 0) {
    plant_slowdown(0.0);  // a planted slowdown is the measuring thread's; the child inherited it
    if (cpu) pin_current_thread(*cpu);
    peer_context ctx(s.sock, s.result, s.stop_pipe[0]);
    run_body(body, ctx);
    const auto* p = reinterpret_cast<const char*>(&s.result);
    std::size_t left = sizeof s.result;
    while (left > 0) {
      const auto n = ::write(s.result_pipe[1], p, left);
      if (n <= 0 && errno != EINTR) break;
      if (n > 0) p += n, left -= static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  s.sock.close();  // the child owns the peer's end now
  ::close(s.result_pipe[1]);
  s.result_pipe[1] = -1;
}

void peer_runner::request_stop() {
  const char byte = 1;
  [[maybe_unused]] const auto n = ::write(state_->stop_pipe[1], &byte, 1);
}

peer_result peer_runner::join(std::chrono::milliseconds limit) {
  auto& s = *state_;
  if (s.joined) return s.result;
  s.joined = true;
  if (s.mode == peer_mode::thread) {
    std::unique_lock lock(s.m);
    if (!s.cv.wait_for(lock, limit, [&] { return s.done; })) {
      lock.unlock();
      s.thread.detach();  // it holds its own reference to the shared state
      s.detached = true;
      peer_result stalled;
      set_error(stalled, "peer thread did not finish within " + std::to_string(limit.count()) + " ms");
      return stalled;
    }
    lock.unlock();
    s.thread.join();
    return s.result;
  }
  peer_result r;
  if (!readable_within(s.result_pipe[0], static_cast<int>(limit.count()))) {
    ::kill(s.child, SIGKILL);
    set_error(r, "peer process did not finish within " + std::to_string(limit.count()) + " ms (killed)");
  } else if (::read(s.result_pipe[0], &r, sizeof r) != static_cast<ssize_t>(sizeof r)) {
    r = peer_result{};
    set_error(r, "peer process died before reporting");
  }
  int status = 0;
  ::waitpid(s.child, &status, 0);
  s.child = -1;
  s.result = r;
  return r;
}

peer_runner::~peer_runner() {
  auto& s = *state_;
  if (!s.joined) {
    request_stop();
    join(std::chrono::milliseconds(2000));
  }
  if (s.detached) return;
  for (int fd : {s.stop_pipe[0], s.stop_pipe[1], s.result_pipe[0], s.result_pipe[1]})
    if (fd >= 0) ::close(fd);
}

}  // namespace socklab::bench
