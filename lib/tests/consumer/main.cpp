// Uses the installed headers and library: a socketpair round trip, with socket.hpp alone.
#include <socklab/socket.hpp>

// socket.hpp must not drag nlohmann/json in (it made every user parse it, and need it installed).
#ifdef NLOHMANN_JSON_VERSION_MAJOR
#error "socklab/socket.hpp includes nlohmann/json"
#endif

int main() {
  auto [a, b] = socklab::socketpair();
  a.sendall(socklab::as_bytes("installed"));
  return socklab::decode(b.recv(64)) == "installed" ? 0 : 1;
}
