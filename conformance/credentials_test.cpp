// SPDX-License-Identifier: MIT
// AA. Credentials over AF_UNIX (CRED-*): SO_PASSCRED and SCM_CREDENTIALS on every AF_UNIX kind, the
// autobind SO_PASSCRED causes, sending credentials explicitly, and what TCP has instead.
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <string>

#include "support/fixtures.hpp"
#include "support/socket_kinds.hpp"

namespace socklab::conformance {
namespace {

std::vector<std::byte> packed(const ucred& c) {
  std::vector<std::byte> out(sizeof c);
  std::memcpy(out.data(), &c, sizeof c);
  return out;
}

ucred own_credentials() { return {::getpid(), ::getuid(), ::getgid()}; }

bool is_own(const std::vector<std::byte>& data) { return data == packed(own_credentials()); }

KIND_TEST(PasscredOverKinds, CRED_01_PasscredBringsTheSendersCredentials) {
  auto [a, b] = pair();
  b.setsockopt(SOL_SOCKET, SO_PASSCRED, 1);
  a.send(as_bytes("c"));
  const auto items = b.recvmsg(16, 256).ancdata;
  observe("items", item_names(items));
  observe("own", is_own(item_data(items, SOL_SOCKET, SCM_CREDENTIALS)));
  ASSERT_EQ(items.size(), 1U);
  EXPECT_TRUE(is_own(item_data(items, SOL_SOCKET, SCM_CREDENTIALS)));
}

KIND_TEST(NoPasscredOverKinds, CRED_02_WithoutPasscredNoCredentialsArrive) {
  auto [a, b] = pair();
  a.send(as_bytes("c"));
  const auto items = b.recvmsg(16, 256).ancdata;
  observe("items", item_names(items));
  EXPECT_TRUE(items.empty());
}

// What `receiver` sees as the address of a datagram from a new, unbound sender.
std::string sender_seen(socket& receiver, bool sender_passcred, std::string* sender_name = nullptr) {
  socket sender(family::unix_domain, type::dgram);
  if (sender_passcred) sender.setsockopt(SOL_SOCKET, SO_PASSCRED, 1);
  sender.sendto(as_bytes("a"), receiver.getsockname());
  const auto from = receiver.recvfrom(16).addr;
  if (sender_name) *sender_name = std::get<unix_address>(sender.getsockname()).path;
  if (!from) return "unnamed";
  return std::get<unix_address>(*from).path;
}

TEST(Credentials, CRED_03_PasscredAutobindsAnUnboundDatagramSender) {
  socket receiver(family::unix_domain, type::dgram);
  receiver.bind(unix_address::abstract("socklab-cred-03-" + std::to_string(::getpid())));
  receiver.settimeout(loopback_timeout);
  const auto plain = sender_seen(receiver, false);
  std::string name;
  const auto with_passcred = sender_seen(receiver, true, &name);
  receiver.setsockopt(SOL_SOCKET, SO_PASSCRED, 1);
  const auto to_passcred = sender_seen(receiver, false);
  observe("plain_sender", plain);
  observe("passcred_sender_named", with_passcred == name && name.size() == 6 && name[0] == '\0');
  observe("passcred_receiver_sender", to_passcred);
  EXPECT_EQ(plain, "unnamed");
  EXPECT_EQ(with_passcred, name);
  EXPECT_EQ(name.size(), 6U) << "NUL and five hex digits";
  EXPECT_EQ(to_passcred, "unnamed");
}

TEST(Credentials, CRED_04_OnlyAPrivilegedProcessSendsOthersCredentials) {
  auto [a, b] = socketpair(family::unix_domain, type::dgram);
  b.setsockopt(SOL_SOCKET, SO_PASSCRED, 1);
  b.settimeout(loopback_timeout);
  const std::string e = "e";
  const std::array<std::span<const std::byte>, 1> data{as_bytes(e)};
  const auto send_as = [&a = a, &data](const ucred& c) {
    const std::array<control_message, 1> items{control_message{SOL_SOCKET, SCM_CREDENTIALS, packed(c)}};
    a.sendmsg(data, items);
  };
  const auto own = outcome_of([&] { send_as(own_credentials()); });
  observe("own", own);
  observe("received", is_own(item_data(b.recvmsg(16, 256).ancdata, SOL_SOCKET, SCM_CREDENTIALS)));
  // pid_max is at most 2^22: no process has this pid.
  const auto unknown = outcome_of([&] { send_as({(1 << 22) + 1, ::getuid(), ::getgid()}); });
  observe("unknown_pid", unknown);
  EXPECT_EQ(own, "none");
  EXPECT_EQ(unknown, ::geteuid() == 0 ? "ProcessLookupError ESRCH" : "PermissionError EPERM");
}

TEST(Credentials, CRED_05_TcpHasNoPeerCredentials) {
  auto [client, server] = tcp_pair();
  std::array<std::byte, sizeof(ucred)> raw{};
  server.getsockopt(SOL_SOCKET, SO_PEERCRED, raw);
  ucred c{};
  std::memcpy(&c, raw.data(), sizeof c);
  observe("peercred", std::to_string(c.pid) + " " + std::to_string(c.uid) + " " + std::to_string(c.gid));
  observe("passcred", outcome_of([&server = server] { server.setsockopt(SOL_SOCKET, SO_PASSCRED, 1); }));
  EXPECT_EQ(c.pid, 0);
  EXPECT_EQ(c.uid, static_cast<uid_t>(-1));
  EXPECT_EQ(c.gid, static_cast<gid_t>(-1));
}

}  // namespace
}  // namespace socklab::conformance
