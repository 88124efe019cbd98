// SPDX-License-Identifier: MIT
// POSIX: the name databases behind Python's module functions — getnameinfo, services, the old
// hosts resolver (gethostbyname_r / gethostbyaddr_r) and network interfaces — and h_errno's category.
#include <cstring>

#include "sys/posix.hpp"

namespace socklab {

const std::error_category& herror_category() noexcept {
  static const sys::c_message_category instance("resolver", ::hstrerror);
  return instance;
}

namespace sys {
namespace {

const char* proto_or_null(const std::optional<std::string>& proto) noexcept {
  return proto ? proto->c_str() : nullptr;
}

host_entry entry_of(const hostent& h) {
  host_entry out{h.h_name ? h.h_name : "", {}, {}};
  for (char** a = h.h_aliases; a && *a; ++a) out.aliases.emplace_back(*a);
  for (char** p = h.h_addr_list; p && *p; ++p) {
    if (h.h_addrtype == AF_INET && h.h_length == 4) {
      std::array<std::uint8_t, 4> host{};
      std::memcpy(host.data(), *p, 4);
      out.addresses.push_back(format_ipv4(host));
    } else if (h.h_addrtype == AF_INET6 && h.h_length == 16) {
      std::array<std::uint8_t, 16> host{};
      std::memcpy(host.data(), *p, 16);
      out.addresses.push_back(format_ipv6(host));
    }
  }
  return out;
}

// The *_r calls need a scratch buffer whose size only ERANGE reveals: grown, bounded.
template <class Call>
result<host_entry> with_scratch(Call call) noexcept {
  std::vector<char> scratch(1024);
  for (int round = 0; round < 8; ++round, scratch.resize(scratch.size() * 4)) {
    hostent h{};
    hostent* found = nullptr;
    int herr = 0;
    const int rc = call(&h, scratch.data(), scratch.size(), &found, &herr);
    if (rc == ERANGE) continue;
    if (rc != 0 && rc != ENOENT) return std::error_code(rc, std::system_category());
    if (!found) return std::error_code(herr ? herr : HOST_NOT_FOUND, herror_category());
    return entry_of(h);
  }
  return std::error_code(ERANGE, std::system_category());
}

}  // namespace

result<std::pair<std::string, std::string>> getnameinfo(const address& a, int flags) noexcept {
  const std::pair<int, int> flag_map[] = {{ni::numerichost, NI_NUMERICHOST},
                                          {ni::numericserv, NI_NUMERICSERV},
                                          {ni::namereqd, NI_NAMEREQD},
                                          {ni::nofqdn, NI_NOFQDN},
                                          {ni::dgram, NI_DGRAM}};
  const int native = native_flags(flags, flag_map);
  const auto n = to_native(a);
  char host[NI_MAXHOST] = {}, serv[NI_MAXSERV] = {};
  const int rc = ::getnameinfo(n.get(), n.length, host, sizeof host, serv, sizeof serv, native);
  if (rc == EAI_SYSTEM) return last_error();
  if (rc != 0) return std::error_code(rc, gai_category());
  return std::pair<std::string, std::string>{host, serv};
}

result<int> getservbyname(const std::string& name, const std::optional<std::string>& proto) noexcept {
  servent s{};
  servent* found = nullptr;
  char scratch[4096];
  if (::getservbyname_r(name.c_str(), proto_or_null(proto), &s, scratch, sizeof scratch, &found) != 0 ||
      !found)
    return make_error_code(socklab_errc::not_found);
  return static_cast<int>(ntohs(static_cast<std::uint16_t>(found->s_port)));
}

result<std::string> getservbyport(int port, const std::optional<std::string>& proto) noexcept {
  servent s{};
  servent* found = nullptr;
  char scratch[4096];
  const int net_port = htons(static_cast<std::uint16_t>(port));
  if (::getservbyport_r(net_port, proto_or_null(proto), &s, scratch, sizeof scratch, &found) != 0 || !found)
    return make_error_code(socklab_errc::not_found);
  return std::string(found->s_name);
}

result<host_entry> gethostbyname_ex(const std::string& name) noexcept {
  return with_scratch([&](hostent* h, char* buf, std::size_t len, hostent** found, int* herr) {
    return ::gethostbyname_r(name.c_str(), h, buf, len, found, herr);
  });
}

result<host_entry> gethostbyaddr(const address& a) noexcept {
  std::array<std::uint8_t, 16> bytes{};
  socklen_t len = 0;
  int fam = 0;
  if (const auto* v4 = std::get_if<ipv4_address>(&a)) {
    std::memcpy(bytes.data(), v4->host.data(), 4);
    len = 4;
    fam = AF_INET;
  } else if (const auto* v6 = std::get_if<ipv6_address>(&a)) {
    bytes = v6->host;
    len = 16;
    fam = AF_INET6;
  } else {
    return make_error_code(socklab_errc::family_mismatch);
  }
  return with_scratch([&](hostent* h, char* buf, std::size_t n, hostent** found, int* herr) {
    return ::gethostbyaddr_r(bytes.data(), len, fam, h, buf, n, found, herr);
  });
}

result<std::vector<network_interface>> if_nameindex() noexcept {
  struct ::if_nameindex* list = ::if_nameindex();
  if (!list) return last_error();
  std::vector<network_interface> out;
  for (const struct ::if_nameindex* p = list; p->if_index != 0 || p->if_name != nullptr; ++p)
    out.push_back({p->if_index, p->if_name});
  ::if_freenameindex(list);
  return out;
}

result<unsigned> if_nametoindex(const std::string& name) noexcept {
  const unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0) return make_error_code(socklab_errc::not_found);
  return index;
}

result<std::string> if_indextoname(unsigned index) noexcept {
  char name[IF_NAMESIZE] = {};
  if (!::if_indextoname(index, name)) return last_error();
  return std::string(name);
}

}  // namespace sys
}  // namespace socklab
