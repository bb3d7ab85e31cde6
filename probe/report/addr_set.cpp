#include "probe/report/addr_set.hpp"

#include <cmath>
#include <cstring>

namespace tunprobe::report {

namespace {

HyperLogLog& sketch(std::unique_ptr<HyperLogLog>& p) {
  if (!p) p = std::make_unique<HyperLogLog>();
  return *p;
}

uint64_t estimate(const std::unique_ptr<HyperLogLog>& p) {
  return p ? static_cast<uint64_t>(std::llround(p->estimate())) : 0;
}

}  // namespace

bool AddrSet::add(const Ipv6& a, TunnelType t, AddrClass c) {
  const unsigned ti = static_cast<unsigned>(t);
  if (sketches_) {
    sketch_add(hash_ipv6(a), ti, c);
    return false;
  }
  if ((used_ + 1) * 10 > table_.size() * 7) grow();
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = hash_ipv6(a) & mask;; i = (i + 1) & mask) {
    Entry& e = table_[i];
    if (e.mask == 0) {
      std::memcpy(e.addr, a.data(), 16);
      e.mask = static_cast<TransportMask>(1u << ti);
      e.cls = static_cast<uint8_t>(c);
      ++used_;
      return true;
    }
    if (std::memcmp(e.addr, a.data(), 16) == 0) {
      e.mask |= static_cast<TransportMask>(1u << ti);
      return false;
    }
  }
}

void AddrSet::grow() {
  std::vector<Entry> old = std::move(table_);
  table_.assign(old.empty() ? 1024 : old.size() * 2, Entry{});
  const std::size_t mask = table_.size() - 1;
  for (const Entry& e : old) {
    if (e.mask == 0) continue;
    Ipv6 a;
    std::memcpy(a.data(), e.addr, 16);
    std::size_t i = hash_ipv6(a) & mask;
    while (table_[i].mask != 0) i = (i + 1) & mask;
    table_[i] = e;
  }
}

void AddrSet::sketch_add(uint64_t h, unsigned ti, AddrClass c) {
  Sketches& s = *sketches_;
  if (!is_counted_class(c)) {
    sketch(s.excluded).add(h);
    return;
  }
  sketch(s.transport[ti]).add(h);
  sketch(s.all).add(h);
  if (ti != 0) sketch(s.tunneled).add(h);
  if (with_classes_) sketch(s.by_class[ti != 0][static_cast<std::size_t>(c)]).add(h);
}

void AddrSet::convert_to_sketches() {
  if (sketches_) return;
  sketches_ = std::make_unique<Sketches>();
  for (const Entry& e : table_) {
    if (e.mask == 0) continue;
    Ipv6 a;
    std::memcpy(a.data(), e.addr, 16);
    const uint64_t h = hash_ipv6(a);
    for (unsigned t = 0; t < kTransports; ++t)
      if (e.mask & (1u << t)) sketch_add(h, t, static_cast<AddrClass>(e.cls));
  }
  std::vector<Entry>().swap(table_);
  used_ = 0;
}

AddrCounts AddrSet::counts() const {
  AddrCounts r;
  if (sketches_) {
    const Sketches& s = *sketches_;
    r.estimated = true;
    for (std::size_t t = 0; t < kTransports; ++t) r.transport[t] = estimate(s.transport[t]);
    r.all = estimate(s.all);
    r.tunneled = estimate(s.tunneled);
    r.excluded = estimate(s.excluded);
    for (std::size_t k = 0; k < 2; ++k)
      for (std::size_t c = 0; c < kClasses; ++c) r.by_class[k][c] = estimate(s.by_class[k][c]);
    return r;
  }
  for (const Entry& e : table_) {
    if (e.mask == 0) continue;
    if (!is_counted_class(static_cast<AddrClass>(e.cls))) {
      ++r.excluded;
      continue;
    }
    ++r.all;
    for (std::size_t t = 0; t < kTransports; ++t) r.transport[t] += (e.mask >> t) & 1u;
    const bool native = e.mask & 1u, tunneled = e.mask & ~1u;
    r.tunneled += tunneled;
    if (with_classes_) {
      r.by_class[0][e.cls] += native;
      r.by_class[1][e.cls] += tunneled;
    }
  }
  return r;
}

void AddrCounter::add(int64_t day, const Ipv6& a, TunnelType t, AddrClass c) {
  held_ += period_.add(a, t, c);
  if (day != last_day_ || !last_set_) {
    last_set_ = &days_.try_emplace(day, false).first->second;
    last_day_ = day;
  }
  held_ += last_set_->add(a, t, c);
  if (held_ > limit_) enforce_limit();
}

void AddrCounter::enforce_limit() {
  while (held_ > limit_) {
    AddrSet* largest = &period_;
    for (auto& [day, set] : days_)
      if (set.exact_size() > largest->exact_size()) largest = &set;
    if (largest->exact_size() == 0) return;
    held_ -= largest->exact_size();
    largest->convert_to_sketches();
  }
}

std::map<int64_t, AddrCounts> AddrCounter::days() const {
  std::map<int64_t, AddrCounts> r;
  for (const auto& [day, set] : days_) r.emplace(day, set.counts());
  return r;
}

bool AddrCounter::any_estimated() const {
  if (period_.estimated()) return true;
  for (const auto& [day, set] : days_)
    if (set.estimated()) return true;
  return false;
}

}  // namespace tunprobe::report
