// Uses the installed json component: a JSON message through a socketpair.
#include <socklab/json_framing.hpp>

int main() {
  auto [a, b] = socklab::socketpair();
  socklab::send_json(a, {{"installed", true}});
  const auto message = socklab::recv_json(b);
  return message && (*message)["installed"] == true ? 0 : 1;
}
