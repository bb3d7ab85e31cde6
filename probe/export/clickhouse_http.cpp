#include "probe/export/clickhouse_http.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>

namespace tunprobe::clickhouse {

namespace {

size_t append_answer(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

}  // namespace

void init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string server_url(const ClickHouseSettings& s) {
  const std::string host = s.host.find(':') != std::string::npos ? "[" + s.host + "]" : s.host;
  return fmt::format("http://{}:{}/", host, s.port);
}

void set_request(CURL* e, const ClickHouseSettings& s, const std::string& url, std::string& answer) {
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, append_answer);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &answer);
  if (!s.user.empty() || !s.password.empty()) {
    curl_easy_setopt(e, CURLOPT_USERNAME, s.user.empty() ? "default" : s.user.c_str());
    curl_easy_setopt(e, CURLOPT_PASSWORD, s.password.c_str());
  }
}

std::string error_line(const std::string& answer) {
  std::string l = answer.substr(0, answer.find('\n'));
  while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.pop_back();
  if (l.size() > 400) l = l.substr(0, 400) + "...";
  return l;
}

std::string load_password(ClickHouseSettings& s) {
  if (s.password_file.empty()) return {};
  std::ifstream f(s.password_file);
  if (!f) return fmt::format("cannot read password_file {}: {}", s.password_file, std::strerror(errno));
  std::getline(f, s.password);
  return {};
}

}  // namespace tunprobe::clickhouse
