// SPDX-License-Identifier: MIT
// POSIX: getaddrinfo, gethostname and the category of EAI_* codes.
#include <cstring>

#include "sys/posix.hpp"

namespace socklab::sys {

result<std::vector<addrinfo>> getaddrinfo(const std::optional<std::string>& host, const std::string& port,
                                          std::optional<family> f, std::optional<type> t, int proto,
                                          int flags) noexcept {
  ::addrinfo hints{};
  hints.ai_family = f ? native_family(*f) : AF_UNSPEC;
  hints.ai_socktype = t ? native_type(*t) : 0;
  hints.ai_protocol = proto;
  const std::pair<int, int> flag_map[] = {{ai::passive, AI_PASSIVE},
                                          {ai::canonname, AI_CANONNAME},
                                          {ai::numerichost, AI_NUMERICHOST},
                                          {ai::numericserv, AI_NUMERICSERV},
                                          {ai::addrconfig, AI_ADDRCONFIG},
                                          {ai::v4mapped, AI_V4MAPPED},
                                          {ai::all, AI_ALL}};
  hints.ai_flags = native_flags(flags, flag_map);
  ::addrinfo* list = nullptr;
  const int rc =
      ::getaddrinfo(host ? host->c_str() : nullptr, port.empty() ? nullptr : port.c_str(), &hints, &list);
  if (rc == EAI_SYSTEM) return last_error();
  if (rc != 0) return std::error_code(rc, gai_category());
  std::vector<addrinfo> out;
  for (const ::addrinfo* p = list; p != nullptr; p = p->ai_next) {
    const auto fam = from_native_family(p->ai_family);
    const auto typ = from_native_type(p->ai_socktype);
    if (!fam || !typ || p->ai_addrlen > sizeof(sockaddr_storage)) continue;
    native_address n;
    std::memcpy(&n.storage, p->ai_addr, p->ai_addrlen);
    n.length = p->ai_addrlen;
    auto a = from_native(n, *fam);
    if (!a || !*a) continue;
    out.push_back({*fam, *typ, p->ai_protocol, p->ai_canonname ? p->ai_canonname : "", std::move(**a)});
  }
  ::freeaddrinfo(list);
  if (out.empty())
    return std::error_code(EAI_NONAME, gai_category());  // only families socklab does not model
  return out;
}

result<std::string> gethostname() noexcept {
  char buf[256] = {};
  if (counted(::gethostname, buf, sizeof buf - 1) != 0) return last_error();
  return std::string(buf);
}

}  // namespace socklab::sys

namespace socklab {

const std::error_category& gai_category() noexcept {
  static const sys::c_message_category instance("getaddrinfo", ::gai_strerror);
  return instance;
}

}  // namespace socklab
