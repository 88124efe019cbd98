// SPDX-License-Identifier: MIT
#include "run_context.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "socklab/version.hpp"

namespace socklab::harness {
namespace {

std::string os_release_name() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      auto value = line.substr(12);
      if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
      return value;
    }
  }
  return {};
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return {};
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  (void)std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string compiler() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#else
  return "unknown";
#endif
}

}  // namespace

std::optional<std::string> read_sysctl(const std::string& name) {
  std::ifstream in("/proc/sys/" + name);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  for (auto& c : line)
    if (c == '\t') c = ' ';
  return line;
}

nlohmann::json run_context() {
  nlohmann::json ctx;
  ctx["date"] = utc_now();
  utsname u{};
  if (::uname(&u) == 0) {
    ctx["os"] = u.sysname;
    ctx["kernel"] = u.release;
    ctx["kernel_version"] = u.version;
    ctx["arch"] = u.machine;
    ctx["host_name"] = u.nodename;
  }
  if (auto name = os_release_name(); !name.empty()) ctx["os_release"] = name;
  if (auto model = cpu_model(); !model.empty()) ctx["cpu_model"] = model;
  ctx["num_cpus"] = std::thread::hardware_concurrency();
  ctx["compiler"] = compiler();
#if defined(SOCKLAB_BUILD_TYPE)
  ctx["build_type"] = SOCKLAB_BUILD_TYPE;
#endif
  ctx["socklab_version"] = std::string(socklab::version());
  ctx["socklab_commit"] = std::string(socklab::git_commit());
  ctx["privileged"] = ::geteuid() == 0;
  nlohmann::json sysctls = nlohmann::json::object();
  for (const char* name :
       {"net/core/somaxconn", "net/ipv4/tcp_congestion_control", "net/ipv4/tcp_abort_on_overflow",
        "net/ipv4/tcp_syncookies", "net/ipv4/tcp_rmem", "net/ipv4/tcp_wmem", "net/core/rmem_default",
        "net/core/wmem_default", "net/core/rmem_max", "net/core/wmem_max", "net/ipv6/bindv6only"}) {
    if (auto value = read_sysctl(name)) sysctls[name] = *value;
  }
  ctx["sysctls"] = sysctls;
  return ctx;
}

std::string unwritable_reason(const std::string& path) {
  if (path.empty()) return "no file name given";
  const auto folder = std::filesystem::absolute(path).parent_path();
  if (!std::filesystem::is_directory(folder)) return "folder " + folder.string() + " does not exist";
  if (::access(folder.c_str(), W_OK) != 0) return "folder " + folder.string() + " is not writable";
  return {};
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
    out << text;
    out.flush();
    if (!out) {
      (void)std::remove(tmp.c_str());  // best effort: the error that follows is what matters
      throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string cause = std::strerror(errno);
    (void)std::remove(tmp.c_str());  // best effort: the error that follows is what matters
    throw std::runtime_error("cannot replace " + path + ": " + cause);
  }
}

}  // namespace socklab::harness
