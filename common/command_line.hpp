// SPDX-License-Identifier: MIT
// How socklab's programs read a flag's value: both spellings of getopt_long and argparse,
// `--flag=VALUE` and `--flag VALUE`, so that no program accepts one and calls the other unknown.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace socklab::harness {

/// The value of `flag` if argv[i] is it: the text after '=' or, for the bare flag, the next
/// argument (then i moves past it). Throws std::invalid_argument when the bare flag ends the line.
inline std::optional<std::string_view> flag_value(int argc, const char* const* argv, int& i,
                                                  std::string_view flag) {
  const std::string_view arg = argv[i];
  if (arg == flag) {
    if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + " needs a value");
    return std::string_view(argv[++i]);
  }
  if (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag && arg[flag.size()] == '=')
    return arg.substr(flag.size() + 1);
  return std::nullopt;
}

}  // namespace socklab::harness
