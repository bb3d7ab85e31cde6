// What the ClickHouse output (-o clickhouse://) and the report from
// ClickHouse (tunprobe report clickhouse://) share of the server's HTTP
// interface: one libcurl set-up per request, the server's address, its
// error lines, the password file.
#pragma once

#include <curl/curl.h>

#include <string>

#include "probe/export/output_spec.hpp"

namespace tunprobe::clickhouse {

inline constexpr long kConnectTimeoutMs = 3000;

// curl_global_init(), once per process.
void init_curl();
// "http://HOST:PORT/" (an IPv6 host in brackets).
std::string server_url(const ClickHouseSettings& s);
// The options of every request: `url`, no signals, the connect timeout,
// the answer appended to `answer`, HTTP basic authentication when a user
// or password is set.
void set_request(CURL* e, const ClickHouseSettings& s, const std::string& url, std::string& answer);
// The first line of an error answer ("Code: 60, e.displayText() =
// DB::Exception: ..."), cut at 400 characters.
std::string error_line(const std::string& answer);
// ?password_file=: its first line becomes the password. "" or why not.
std::string load_password(ClickHouseSettings& s);

}  // namespace tunprobe::clickhouse
