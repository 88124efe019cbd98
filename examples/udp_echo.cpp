// A UDP echo on loopback: recvfrom tells the server whom to answer with sendto.
#include <iostream>
#include <thread>

#include "socklab/socklab.hpp"

int main() {
  using namespace std::chrono_literals;
  socklab::socket server(socklab::family::inet, socklab::type::dgram);
  server.bind(socklab::ipv4_address::loopback());
  server.settimeout(10s);
  std::jthread echo([&server] {
    auto [data, sender] = server.recvfrom(1024);
    std::cout << "Datagram from " << *sender << '\n';
    server.sendto(data, *sender);
  });

  socklab::socket client(socklab::family::inet, socklab::type::dgram);
  client.settimeout(10s);
  client.sendto(socklab::as_bytes("ping"), server.getsockname());
  auto [reply, from] = client.recvfrom(1024);
  echo.join();
  std::cout << "Received " << socklab::as_text(reply) << " from " << *from << '\n';
  return socklab::as_text(reply) == "ping" && from == server.getsockname() ? 0 : 1;
}
