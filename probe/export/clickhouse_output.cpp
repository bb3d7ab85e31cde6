#include "probe/export/clickhouse_output.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <fmt/format.h>

#include "probe/base/startup_error.hpp"
#include "probe/export/clickhouse_http.hpp"
#include "probe/export/mono_clock.hpp"
#include "probe/records/clickhouse_columns.hpp"

namespace tunprobe {

namespace {

constexpr uint64_t kBackoffMinMs = 500;
constexpr uint64_t kBackoffMaxMs = 30000;
constexpr long kInsertTimeoutMs = 60000;
constexpr long kCheckTimeoutMs = 3000;
constexpr uint64_t kCloseWaitMs = 10000;  // at exit: without a successful insert this long, give up

// A TabSeparated field without its escapes (\\', \\t, \\n, \\\\).
std::string tsv_field(std::string_view f) {
  std::string s;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '\\' || i + 1 == f.size()) {
      s += f[i];
      continue;
    }
    const char c = f[++i];
    s += c == 'n' ? '\n' : c == 't' ? '\t' : c;
  }
  return s;
}

struct Batch {
  uint64_t id = 0;
  uint32_t records = 0;
  uint64_t first_ms = 0;  // when its first record came (mono)
  std::string rows;
};

class ClickHouseOutput final : public FlowOutput {
 public:
  ClickHouseOutput(const OutputSpec& spec, const DecodeConfig& cfg)
      : spec_(spec), c_(spec.clickhouse), cfg_(cfg), bound_(spec.ipfix.export_buffer) {
    clickhouse::init_curl();
    if (std::string err = clickhouse::load_password(c_); !err.empty())
      throw StartupError{fmt::format("-o {}: {}", spec_.text(), err)};
    if (c_.probe.empty()) {
      char host[256] = {};
      gethostname(host, sizeof host - 1);
      c_.probe = host;
    }
    origin_.odid = spec.ipfix.odid;
    origin_.probe = c_.probe;
    // Batch ids: the start time in ms, then a sequence number, so that two
    // runs (and two probes, with their odid in the row) do not share one.
    next_batch_ = static_cast<uint64_t>(std::time(nullptr)) * 1000u << 16;
    base_url_ = clickhouse::server_url(c_);
    CURL* e = curl_easy_init();
    const std::string insert =
        fmt::format("INSERT INTO {}.{} {} FORMAT RowBinary", c_.database, c_.table, clickhouse::column_list());
    char* q = curl_easy_escape(e, insert.c_str(), static_cast<int>(insert.size()));
    insert_url_ = base_url_ + "?insert_distributed_sync=1&query=" + q;
    curl_free(q);
    curl_easy_cleanup(e);
    check_table();
    multi_ = curl_multi_init();
    headers_ = curl_slist_append(nullptr, "Expect:");  // no 100-continue round trip
  }

  ~ClickHouseOutput() override {
    if (easy_ != nullptr) {
      curl_multi_remove_handle(multi_, easy_);
      curl_easy_cleanup(easy_);
    }
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
    curl_slist_free_all(headers_);
  }

  void write(const FlowRecord& r) override {
    ++st_.written;
    if (held_ >= bound_) {
      if (st_.dropped++ == 0)
        fmt::print(stderr, "tunprobe: -o {}: --export-buffer of {} records is full; dropping records (counted)\n",
                   spec_.text(), bound_);
      return;
    }
    if (open_.records == 0) {
      open_.id = next_batch_++;
      open_.first_ms = mono_ms();
      open_.rows.reserve(std::min<std::size_t>(c_.batch, 4096) * 256);
    }
    origin_.batch = open_.id;
    clickhouse::append_row(open_.rows, r, cfg_, origin_);
    ++open_.records;
    ++held_;
    st_.buffered_peak = std::max(st_.buffered_peak, held_);
    if (open_.records >= c_.batch) seal();
    pump();
  }

  void flush() override {
    if (open_.records != 0 && mono_ms() - open_.first_ms >= c_.batch_ms) seal();
    pump();
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    if (open_.records != 0) seal();
    // Waits as long as inserts succeed; gives up after kCloseWaitMs without one.
    next_try_ms_ = 0;  // one more try now, whatever the back-off said
    uint64_t deadline = mono_ms() + kCloseWaitMs;
    while (!queue_.empty() && mono_ms() < deadline) {
      const uint64_t before = st_.delivered;
      pump();
      if (st_.delivered != before) deadline = mono_ms() + kCloseWaitMs;
      if (easy_ != nullptr) curl_multi_poll(multi_, nullptr, 0, 20, nullptr);
      else usleep(20000);
    }
    if (easy_ != nullptr) {
      curl_multi_remove_handle(multi_, easy_);
      curl_easy_cleanup(easy_);
      easy_ = nullptr;
    }
    if (held_ > 0)
      fmt::print(stderr, "tunprobe: -o {}: {} records could not be delivered before exit (counted as failed)\n",
                 spec_.text(), held_);
    st_.failed += held_;
    held_ = 0;
    queue_.clear();
  }

  std::string describe() const override { return spec_.text(); }
  uint64_t failed() const override { return st_.failed; }

  OutputSummary summary() const override {
    OutputSummary s = st_;
    s.output = spec_.text();
    s.buffered = held_;
    return s;
  }

 private:
  void seal() {
    queue_.push_back(std::move(open_));
    open_ = Batch{};
  }

  // At start, when the server answers: the table exists and has our columns.
  void check_table() {
    CURL* e = curl_easy_init();
    const std::string sql = fmt::format("DESCRIBE TABLE {}.{} FORMAT TabSeparated", c_.database, c_.table);
    char* q = curl_easy_escape(e, sql.c_str(), static_cast<int>(sql.size()));
    const std::string url = base_url_ + "?query=" + q;
    curl_free(q);
    answer_.clear();
    clickhouse::set_request(e, c_, url, answer_);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, kCheckTimeoutMs);
    const CURLcode rc = curl_easy_perform(e);
    long http = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &http);
    curl_easy_cleanup(e);
    if (rc != CURLE_OK) {
      fmt::print(stderr, "tunprobe: -o {}: the server does not answer ({}); buffering up to {} records, retrying\n",
                 spec_.text(), curl_easy_strerror(rc), bound_);
      warned_down_ = true;
      return;
    }
    const std::string table = c_.database + "." + c_.table;
    if (http != 200) {
      const std::string why = clickhouse::error_line(answer_);
      if (why.find("Code: 60,") != std::string::npos || why.find("Code: 81,") != std::string::npos)
        throw StartupError{fmt::format("-o {}: table {} does not exist; create it with 'tunprobe clickhouse-schema "
                                       "--database {} --table {} | clickhouse-client --multiquery'",
                                       spec_.text(), table, c_.database, c_.table)};
      throw StartupError{fmt::format("-o {}: the server refused DESCRIBE TABLE {} (HTTP {}): {}", spec_.text(), table,
                                     http, why)};
    }
    // name \t type \t default kind \t default expression
    std::size_t at = 0, i = 0;
    const auto cols = clickhouse::columns();
    while (at < answer_.size()) {
      std::size_t end = answer_.find('\n', at);
      if (end == std::string::npos) end = answer_.size();
      const std::string line = answer_.substr(at, end - at);
      at = end + 1;
      const auto t1 = line.find('\t');
      const std::string name = tsv_field(line.substr(0, t1));
      const std::string type =
          t1 == std::string::npos ? "" : tsv_field(line.substr(t1 + 1, line.find('\t', t1 + 1) - t1 - 1));
      if (i >= cols.size())
        throw StartupError{fmt::format("-o {}: table {} has a column tunprobe does not write: {} (see 'tunprobe "
                                       "clickhouse-schema')", spec_.text(), table, name)};
      if (name != cols[i].name || type != clickhouse::column_type(cols[i]))
        throw StartupError{fmt::format("-o {}: table {}: column {} is '{} {}', tunprobe writes '{} {}' (see "
                                       "'tunprobe clickhouse-schema')", spec_.text(), table, i + 1, name, type,
                                       cols[i].name, clickhouse::column_type(cols[i]))};
      ++i;
    }
    if (i < cols.size())
      throw StartupError{fmt::format("-o {}: table {} lacks column {} (see 'tunprobe clickhouse-schema')",
                                     spec_.text(), table, cols[i].name)};
  }

  void start_insert() {
    Batch& b = queue_.front();
    easy_ = curl_easy_init();
    answer_.clear();
    clickhouse::set_request(easy_, c_, insert_url_, answer_);
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, kInsertTimeoutMs);
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(easy_, CURLOPT_POST, 1L);
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, b.rows.data());
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(b.rows.size()));
    curl_multi_add_handle(multi_, easy_);
  }

  void pump() {
    if (easy_ == nullptr) {
      if (queue_.empty() || mono_ms() < next_try_ms_) return;
      start_insert();
    }
    int running = 0;
    curl_multi_perform(multi_, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      const CURLcode rc = m->data.result;
      long http = 0;
      curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &http);
      curl_multi_remove_handle(multi_, easy_);
      curl_easy_cleanup(easy_);
      easy_ = nullptr;
      done(rc, http);
    }
  }

  void done(CURLcode rc, long http) {
    ++st_.messages;
    if (rc == CURLE_OK && http == 200) {
      const uint32_t n = queue_.front().records;
      queue_.pop_front();
      st_.delivered += n;
      held_ -= n;
      backoff_ms_ = kBackoffMinMs;
      next_try_ms_ = 0;
      if (warned_down_) {
        fmt::print(stderr, "tunprobe: -o {}: inserting again; {} records still held\n", spec_.text(), held_);
        warned_down_ = false;
        last_error_.clear();
      }
      return;
    }
    ++st_.send_errors;
    const std::string why = rc != CURLE_OK ? std::string(curl_easy_strerror(rc))
                                           : fmt::format("HTTP {}: {}", http, clickhouse::error_line(answer_));
    if (!warned_down_ || why != last_error_)
      fmt::print(stderr, "tunprobe: -o {}: insert failed ({}); holding up to {} records, retrying\n", spec_.text(),
                 why, bound_);
    warned_down_ = true;
    last_error_ = why;
    next_try_ms_ = mono_ms() + backoff_ms_;
    backoff_ms_ = std::min(backoff_ms_ * 2, kBackoffMaxMs);
  }

  OutputSpec spec_;
  ClickHouseSettings c_;
  DecodeConfig cfg_;
  uint64_t bound_;
  clickhouse::RowOrigin origin_;
  std::string base_url_, insert_url_;
  CURLM* multi_ = nullptr;
  CURL* easy_ = nullptr;  // the insert in flight: queue_.front()
  curl_slist* headers_ = nullptr;
  std::string answer_;
  Batch open_;
  std::deque<Batch> queue_;
  uint64_t held_ = 0;  // records in open_ and queue_
  uint64_t next_batch_ = 0;
  uint64_t next_try_ms_ = 0;
  uint64_t backoff_ms_ = kBackoffMinMs;
  bool warned_down_ = false;
  bool closed_ = false;
  std::string last_error_;
  OutputSummary st_;
};

}  // namespace

std::unique_ptr<FlowOutput> make_clickhouse_output(const OutputSpec& spec, const DecodeConfig& cfg) {
  return std::make_unique<ClickHouseOutput>(spec, cfg);
}

}  // namespace tunprobe
