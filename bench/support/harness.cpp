// SPDX-License-Identifier: MIT
#include "harness.hpp"

#include <stdexcept>

namespace socklab::bench {

const cpu_plan& plan() {
  static const cpu_plan p = plan_for(current().where);
  return p;
}

void check_peer(const peer_result& r) {
  if (r.error[0] != '\0') throw std::runtime_error(r.error);
}

std::vector<std::byte> pattern(std::size_t size) {
  std::vector<std::byte> b(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::byte>(i * 31 + 7);
  return b;
}

}  // namespace socklab::bench
