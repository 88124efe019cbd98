// SPDX-License-Identifier: MIT
#include "support/socket_kinds.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <ostream>
#include <stdexcept>

#include "socklab/connection.hpp"
#include "support.hpp"
#include "support/catalog.hpp"

namespace socklab::conformance {
namespace {

family family_named(const std::string& name) {
  if (name == "inet") return family::inet;
  if (name == "inet6") return family::inet6;
  if (name == "unix") return family::unix_domain;
  throw std::runtime_error("catalog: unknown kind family '" + name + "'");
}

type type_named(const std::string& name) {
  if (name == "stream") return type::stream;
  if (name == "dgram") return type::dgram;
  if (name == "seqpacket") return type::seqpacket;
  throw std::runtime_error("catalog: unknown kind type '" + name + "'");
}

// The kinds an entry names, kind sets expanded, each once, in order.
std::vector<std::string> kind_names(const nlohmann::json& doc, const nlohmann::json& entry) {
  std::vector<std::string> names;
  const auto add = [&](const std::string& n) {
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  };
  for (const auto& n : entry.value("kinds", nlohmann::json::array())) {
    const auto name = n.get<std::string>();
    if (doc.contains("kind_sets") && doc["kind_sets"].contains(name)) {
      for (const auto& member : doc["kind_sets"][name]) add(member.get<std::string>());
    } else {
      add(name);
    }
  }
  return names;
}

socket_kind kind_from(const nlohmann::json& doc, const std::string& name) {
  for (const auto& k : doc.value("kinds", nlohmann::json::array())) {
    if (k.value("name", "") != name) continue;
    return {name,
            name,
            family_named(k.at("family").get<std::string>()),
            type_named(k.at("type").get<std::string>()),
            k.at("made_by").get<std::string>(),
            false};
  }
  throw std::runtime_error("catalog: unknown kind '" + name + "'");
}

// A connection through a listener of (f, t) bound to `where`: (connecting end, accepted end).
std::pair<socket, socket> through_listener(family f, type t, const address& where, bool dual_stack = false) {
  socket listener(f, t);
  if (dual_stack) listener.setsockopt(option::ipv6_v6only, 0);
  listener.bind(where);
  listener.listen(1);
  listener.settimeout(test::loopback_timeout);
  socket client(f, t);
  client.settimeout(test::loopback_timeout);
  client.connect(listener.getsockname());
  auto accepted = listener.accept();
  return {std::move(client), std::move(accepted.conn)};
}

// Two datagram sockets bound to `first` and `second` and connected to each other.
std::pair<socket, socket> connected_datagrams(family f, const address& first, const address& second) {
  socket a(f, type::dgram), b(f, type::dgram);
  a.bind(first);
  b.bind(second);
  a.connect(b.getsockname());
  b.connect(a.getsockname());
  return {std::move(a), std::move(b)};
}

std::pair<socket, socket> made(const socket_kind& k) {
  if (k.made_by == "socketpair") return socketpair(family::unix_domain, k.type);
  if (k.made_by == "loopback") {
    if (k.type == type::dgram)
      return connected_datagrams(k.family, test::loopback_of(k.family), test::loopback_of(k.family));
    return through_listener(k.family, k.type, test::loopback_of(k.family));
  }
  if (k.made_by == "v4_mapped")
    return through_listener(family::inet6, k.type, ipv6_address("::ffff:127.0.0.1", 0), true);
  if (k.made_by == "path") {
    const test::temp_dir dir;  // the names can go once the pair is connected
    if (k.type == type::dgram)
      return connected_datagrams(k.family, unix_address(dir.file("a")), unix_address(dir.file("b")));
    return through_listener(k.family, k.type, unix_address(dir.file("listener")));
  }
  if (k.made_by == "abstract") {
    if (k.type == type::dgram)
      return connected_datagrams(k.family, unix_address::abstract(fresh_abstract_name()),
                                 unix_address::abstract(fresh_abstract_name()));
    return through_listener(k.family, k.type, unix_address::abstract(fresh_abstract_name()));
  }
  throw std::runtime_error("kind " + k.kind + ": unknown way to make it: " + k.made_by);
}

}  // namespace

std::string fresh_abstract_name() {
  static std::atomic<int> counter{0};
  return "socklab-kind-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

socket unconnected_of(const socket_kind& k) {
  socket s(k.family, k.type);
  if (k.family == family::unix_domain)
    s.bind(unix_address::abstract(fresh_abstract_name()));
  else
    s.bind(test::loopback_of(k.family));
  return s;
}

std::vector<socket_kind> kinds_of(const std::string& id) {
  try {
    const auto& doc = built_in_catalog().document;
    const auto it = built_in_catalog().byid.find(id);
    if (it == built_in_catalog().byid.end()) return {};
    std::vector<socket_kind> out;
    for (const auto& name : kind_names(doc, it->second)) out.push_back(kind_from(doc, name));
    if (it->second.value("symmetric", false)) {
      const auto n = out.size();
      for (std::size_t i = 0; i < n; ++i) {
        auto k = out[i];
        k.name += "_swapped";
        k.swapped = true;
        out.push_back(k);
      }
    }
    return out;
  } catch (const std::exception& e) {
    // Registration runs before main(): no instances, which GoogleTest reports as a failure.
    std::cerr << "socklab-conform: the kinds of " << id << ": " << e.what() << '\n';
    return {};
  }
}

std::pair<socket, socket> pair_of(const socket_kind& k) {
  auto p = made(k);
  p.first.settimeout(test::loopback_timeout);
  p.second.settimeout(test::loopback_timeout);
  if (k.swapped) std::swap(p.first, p.second);
  return p;
}

std::string unavailable_reason(const socket_kind& k) {
  if (k.family == family::inet6 && !test::ipv6_available()) return "no IPv6 loopback (::1) here";
  if (k.made_by == "v4_mapped" && !has_dualstack_ipv6()) return "no dual-stack IPv6 here";
  return {};
}

std::string instance_name(const ::testing::TestParamInfo<socket_kind>& info) { return info.param.name; }

void PrintTo(const socket_kind& k, std::ostream* os) { *os << k.name; }

void kind_test::SetUp() {
  record_instance(GetParam().name);
  if (const auto why = unavailable_reason(GetParam()); !why.empty()) GTEST_SKIP() << why;
}

}  // namespace socklab::conformance
