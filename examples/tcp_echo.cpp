// The Python tutorial's echo server and client, in C++ on loopback: the server echoes whatever
// one client sends until the client closes; the client sends a greeting and prints the reply.
#include <iostream>
#include <thread>

#include "socklab/socklab.hpp"

int main() {
  using namespace std::chrono_literals;
  auto server = socklab::create_server(socklab::ipv4_address::loopback());  // port 0: any free port
  server.settimeout(10s);
  std::jthread echo([&server] {
    auto [conn, addr] = server.accept();
    std::cout << "Connected by " << addr << '\n';
    for (auto data = conn.recv(1024); !data.empty(); data = conn.recv(1024)) conn.sendall(data);
  });

  auto client = socklab::create_connection(server.getsockname(), 10s);
  client.sendall(socklab::as_bytes("Hello, world"));
  const auto reply = client.recv(1024);
  client.close();
  echo.join();
  std::cout << "Received " << socklab::as_text(reply) << '\n';
  return socklab::as_text(reply) == "Hello, world" ? 0 : 1;
}
