// SPDX-License-Identifier: MIT
// Jain's fairness index of what flows got (R. Jain, D. Chiu, W. Hawe, DEC-TR-301, 1984):
// (sum x)^2 / (n * sum x^2). 1 when every flow got the same, 1/n when one flow got everything;
// it does not depend on the unit or the total.
#pragma once

#include <span>

namespace socklab::bench {

template <class T>
double jain_index(std::span<const T> shares) {
  double sum = 0;
  double squares = 0;
  for (const T x : shares) {
    const auto v = static_cast<double>(x);
    sum += v;
    squares += v * v;
  }
  if (shares.empty() || squares == 0) return 1.0;  // nothing moved: no flow was favoured
  return sum * sum / (static_cast<double>(shares.size()) * squares);
}

}  // namespace socklab::bench
