// SPDX-License-Identifier: MIT
// J. AF_UNIX (UNIX-*): paths, abstract names, autobind, errors, the accept queue.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <string>

#include "socklab/descriptors.hpp"
#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

bool abstract_namespace_available() {
  try {
    socket s(family::unix_domain, type::stream);
    s.bind(unix_address::abstract("socklab-probe-" + std::to_string(::getpid())));
    return true;
  } catch (const error&) {
    return false;
  }
}

TEST(Unix, UNIX_01_PathSocketFileOutlivesClose) {
  temp_dir dir;
  const unix_address where(dir.file("node.sock"));
  {
    socket s(family::unix_domain, type::stream);
    s.bind(where);
    EXPECT_EQ(s.getsockname(), address(where));
  }
  struct stat st {};
  ASSERT_EQ(::stat(where.path.c_str(), &st), 0) << "the socket file is gone after close()";
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  socket again(family::unix_domain, type::stream);
  EXPECT_TRUE(raises(std::errc::address_in_use, [&] { again.bind(where); }));
  ASSERT_EQ(::unlink(where.path.c_str()), 0);
  EXPECT_NO_THROW(again.bind(where));
}

TEST(Unix, UNIX_02_PathLengthLimits) {
  const auto max = unix_address::max_path_length();
  observe("max_path_length", max);
  temp_dir dir;
  // A path of exactly the maximum length, made from the temp dir plus padding.
  std::string path = dir.file("");
  if (path.size() + 1 > max) GTEST_SKIP() << "the temp dir path is already too long";
  path += std::string(max - path.size(), 'p');
  ASSERT_EQ(path.size(), max);
  socket s(family::unix_domain, type::stream);
  EXPECT_NO_THROW(s.bind(unix_address(path)));
  EXPECT_EQ(std::get<unix_address>(s.getsockname()).path, path);
  EXPECT_THROW(unix_address(path + "p"), socklab::error);
  if (!abstract_namespace_available()) return;
  std::string name(max, 'h');  // with the leading NUL: all of sun_path
  name.back() = static_cast<char>('0' + ::getpid() % 10);
  socket a(family::unix_domain, type::stream);
  const auto abs = unix_address::abstract(name);
  a.bind(abs);
  EXPECT_EQ(a.getsockname(), address(abs));
  EXPECT_THROW(unix_address::abstract(name + "h"), socklab::error);
}

TEST(Unix, UNIX_03_AbstractNamesAreExactBytes) {
  if (!abstract_namespace_available()) GTEST_SKIP() << "no abstract AF_UNIX namespace (Linux only)";
  const auto name =
      unix_address::abstract(std::string("python-test-hello\0\xff", 19) + std::to_string(::getpid()));
  socket s1(family::unix_domain, type::stream);
  s1.bind(name);
  s1.listen();
  socket s2(family::unix_domain, type::stream);
  s2.connect(name);
  EXPECT_EQ(s1.getsockname(), address(name));
  EXPECT_EQ(s2.getpeername(), address(name));
  struct stat st {};
  EXPECT_NE(::stat(name.path.c_str() + 1, &st), 0) << "an abstract name must not create a file";
}

TEST(Unix, UNIX_04_EmptyNameAutobinds) {
  if (!abstract_namespace_available()) GTEST_SKIP() << "autobind needs the abstract namespace (Linux only)";
  socket a(family::unix_domain, type::dgram);
  socket b(family::unix_domain, type::dgram);
  a.bind(unix_address{});
  b.bind(unix_address{});
  const auto na = std::get<unix_address>(a.getsockname()).path;
  const auto nb = std::get<unix_address>(b.getsockname()).path;
  observe("autobind_name_length", na.size());
  const auto is_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  EXPECT_TRUE(na.size() == 6 && na[0] == '\0' && std::all_of(na.begin() + 1, na.end(), is_hex))
      << "expected NUL + 5 hex digits, got " << unix_address(na).to_string();
  EXPECT_NE(na, nb);
}

TEST(Unix, UNIX_05_ConnectErrors) {
  temp_dir dir;
  socket c(family::unix_domain, type::stream);
  EXPECT_THROW(c.connect(unix_address(dir.file("missing.sock"))), file_not_found_error);
  const unix_address stale(dir.file("stale.sock"));
  {
    socket s(family::unix_domain, type::stream);
    s.bind(stale);
    s.listen();
  }  // closed without unlink: the file stays, nobody listens
  socket d(family::unix_domain, type::stream);
  EXPECT_THROW(d.connect(stale), connection_refused_error);
}

TEST(Unix, UNIX_06_UnboundAndSocketpairAreUnnamed) {
  socket s(family::unix_domain, type::stream);
  EXPECT_EQ(s.getsockname(), address(unix_address{}));
  auto [a, b] = socketpair();
  EXPECT_EQ(a.getpeername(), address(unix_address{}));
  EXPECT_EQ(b.getsockname(), address(unix_address{}));
}

TEST(Unix, UNIX_07_FullQueueGivesEagainOrTimeout) {
  temp_dir dir;
  const unix_address where(dir.file("queue.sock"));
  socket server(family::unix_domain, type::stream);
  server.bind(where);
  server.listen(1);
  std::vector<socket> clients;
  int admitted = 0;
  bool refused_with_eagain = false;
  for (int i = 0; i < 8 && !refused_with_eagain; ++i) {
    socket c(family::unix_domain, type::stream);
    c.setblocking(false);
    try {
      c.connect(where);
      ++admitted;
      clients.push_back(std::move(c));
    } catch (const blocking_io_error& e) {
      refused_with_eagain = e.code() == std::errc::resource_unavailable_try_again;
    }
  }
  observe("unix_accept_queue_capacity[backlog=1]", admitted);
#if defined(__linux__)
  EXPECT_EQ(admitted, 2) << "Linux admits backlog + 1";
  EXPECT_TRUE(refused_with_eagain);
#endif
  // Timeout mode does not wait here: the kernel answers EAGAIN, not EINPROGRESS, and CPython
  // raises BlockingIOError at once; socklab does the same.
  socket timed(family::unix_domain, type::stream);
  timed.settimeout(300ms);
  EXPECT_THROW(timed.connect(where), blocking_io_error);
  server.accept();  // one slot frees up
  socket retry(family::unix_domain, type::stream);
  retry.setblocking(false);
  EXPECT_NO_THROW(retry.connect(where));
}

TEST(Unix, UNIX_08_PeerCredentialsNameTheOtherEnd) {
  auto [a, b] = socketpair(family::unix_domain, type::stream);
  const auto c = peer_credentials_of(b);
  observe("pid_is_ours", c.pid == ::getpid());
  observe("uid_is_ours", c.uid == ::getuid());
  observe("gid_is_ours", c.gid == ::getgid());
  socket lonely(family::unix_domain, type::stream);
  observe("unconnected_pid", peer_credentials_of(lonely).pid);
}

TEST(Unix, UNIX_09_ConnectingToASocketOfAnotherType) {
  temp_dir dir;
  const std::array types{type::stream, type::seqpacket, type::dgram};
  for (const auto mine : types) {
    for (const bool abstract : {false, true}) {
      socket l(family::unix_domain, mine);
      l.bind(abstract ? unix_address::abstract(fresh_abstract_name())
                      : unix_address(dir.file("listener-" + std::string(to_string(mine)))));
      if (mine != type::dgram) l.listen(1);
      std::string outcomes;
      for (const auto other : types) {
        if (other == mine) continue;
        socket c(family::unix_domain, other);
        const auto got = outcome_of([&] { c.connect(l.getsockname()); });
        outcomes += (outcomes.empty() ? "" : ", ") + std::string(to_string(other)) + ": " + got;
        // A path finds the socket file and then sees its type; an abstract name is looked up
        // by name and type together, so there is no such socket.
        EXPECT_EQ(got, abstract ? "ConnectionRefusedError ECONNREFUSED" : "OSError EPROTOTYPE")
            << to_string(other) << " to " << to_string(mine);
      }
      observe(std::string(abstract ? "abstract_" : "path_") + std::string(to_string(mine)), outcomes);
    }
  }
}

TEST(Unix, UNIX_10_APathThatIsNotASocket) {
  temp_dir dir;
  socket s(family::unix_domain, type::stream);
  const auto missing_folder = outcome_of([&] { s.bind(unix_address(dir.file("no-such-folder/socket"))); });
  const auto regular = dir.file("regular");
  std::ofstream(regular) << "not a socket";
  const auto bind_regular = outcome_of([&] { s.bind(unix_address(regular)); });
  socket c(family::unix_domain, type::stream);
  const auto connect_regular = outcome_of([&] { c.connect(unix_address(regular)); });
  observe("bind_in_a_missing_folder", missing_folder);
  observe("bind_a_regular_file", bind_regular);
  observe("connect_to_a_regular_file", connect_regular);
  EXPECT_EQ(missing_folder, "FileNotFoundError ENOENT");
  EXPECT_EQ(bind_regular, "OSError EADDRINUSE");
  EXPECT_EQ(connect_regular, "ConnectionRefusedError ECONNREFUSED");
}

}  // namespace
}  // namespace socklab::conformance
