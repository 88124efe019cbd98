// Uses the installed headers and library: a socketpair round trip.
#include <socklab/socklab.hpp>

int main() {
  auto [a, b] = socklab::socketpair();
  a.sendall(socklab::as_bytes("installed"));
  return socklab::as_text(b.recv(64)) == "installed" ? 0 : 1;
}
