#include "bench/traffic.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>
#include <random>
#include <stdexcept>

namespace tunprobe::bench {

namespace {

constexpr std::size_t kEth = 14, kIpv4 = 20, kIpv6 = 40, kUdp = 8, kTcp = 20, kIcmp = 8;
constexpr uint16_t kTeredoPort = 3544;
constexpr uint32_t kTeredoServer = 0x41379e76;   // 65.55.158.118
constexpr uint32_t kSixToFourRelay = 0xc0586301; // 192.88.99.1
constexpr uint32_t kIsatapRouter = 0xc6336401;   // 198.51.100.1

// splitmix64: a flow's addresses and ports follow from its id and the seed.
uint64_t mix64(uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void put16(uint8_t* p, uint16_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) noexcept {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}
void put64(uint8_t* p, uint64_t v) noexcept {
  put32(p, static_cast<uint32_t>(v >> 32));
  put32(p + 4, static_cast<uint32_t>(v));
}

std::size_t l4_size(L4 l4) noexcept {
  switch (l4) {
    case L4::tcp: return kTcp;
    case L4::udp: return kUdp;
    case L4::icmp: return kIcmp;
    case L4::none: return 0;
  }
  return 0;
}

uint8_t ip_proto(L4 l4, bool v6) noexcept {
  switch (l4) {
    case L4::tcp: return 6;
    case L4::udp: return 17;
    case L4::icmp: return v6 ? 58 : 1;
    case L4::none: return 59;
  }
  return 59;
}

void eth(uint8_t* p, uint16_t type) noexcept {
  static constexpr uint8_t macs[12] = {0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c, 0x00, 0x1b, 0x21, 0x0d, 0x0e, 0x0f};
  std::memcpy(p, macs, 12);
  put16(p + 12, type);
}

void ipv4(uint8_t* p, uint32_t src, uint32_t dst, uint8_t proto, std::size_t total, uint16_t id) noexcept {
  p[0] = 0x45;
  p[1] = 0;
  put16(p + 2, static_cast<uint16_t>(total));
  put16(p + 4, id);
  put16(p + 6, 0x4000);  // DF
  p[8] = 57;
  p[9] = proto;
  put16(p + 10, 0);
  put32(p + 12, src);
  put32(p + 16, dst);
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  put16(p + 10, static_cast<uint16_t>(~sum));
}

void ipv6(uint8_t* p, const uint8_t src[16], const uint8_t dst[16], uint8_t next, std::size_t payload) noexcept {
  put32(p, 0x60000000);
  put16(p + 4, static_cast<uint16_t>(payload));
  p[6] = next;
  p[7] = 55;
  std::memcpy(p + 8, src, 16);
  std::memcpy(p + 24, dst, 16);
}

void transport(uint8_t* p, L4 l4, bool v6, uint16_t sport, uint16_t dport, std::size_t len, uint8_t flags) noexcept {
  switch (l4) {
    case L4::tcp:
      put16(p, sport);
      put16(p + 2, dport);
      put32(p + 4, 0x10203040);
      put32(p + 8, 0x50607080);
      p[12] = 5 << 4;
      p[13] = flags;
      put16(p + 14, 64240);
      put32(p + 16, 0);
      break;
    case L4::udp:
      put16(p, sport);
      put16(p + 2, dport);
      put16(p + 4, static_cast<uint16_t>(len));
      put16(p + 6, 0);
      break;
    case L4::icmp:
      p[0] = v6 ? 128 : 8;  // echo request
      p[1] = 0;
      put16(p + 2, 0);
      put16(p + 4, sport);
      put16(p + 6, 1);
      break;
    case L4::none:
      break;
  }
}

void addr6(uint8_t a[16], uint64_t hi, uint64_t lo) noexcept {
  put64(a, hi);
  put64(a + 8, lo);
}

// A public-looking IPv4 address from a hash (never 0.x, 10.x, 127.x or
// multicast: the first octet is 20..219).
uint32_t public4(uint64_t h) noexcept {
  return (static_cast<uint32_t>(20 + (h >> 56) % 200) << 24) | static_cast<uint32_t>(h & 0xffffff);
}

// A native IPv6 host (2a00::/12-ish, the content side of a flow).
void native6(uint8_t a[16], uint64_t h) noexcept { addr6(a, 0x2a00145040000000ull | ((h >> 40) & 0xffffff), 0x200e + (h & 0xff)); }

}  // namespace

const char* kind_name(Kind k) noexcept {
  switch (k) {
    case Kind::ipv4: return "ipv4";
    case Kind::ipv6: return "ipv6";
    case Kind::teredo: return "teredo";
    case Kind::sixtofour: return "6to4";
    case Kind::isatap: return "isatap";
  }
  return "?";
}

unsigned min_wire_size(Kind kind, L4 l4) noexcept {
  std::size_t h = kEth;
  switch (kind) {
    case Kind::ipv4: h += kIpv4; break;
    case Kind::ipv6: h += kIpv6; break;
    case Kind::teredo: h += kIpv4 + kUdp + kIpv6; break;
    case Kind::sixtofour:
    case Kind::isatap: h += kIpv4 + kIpv6; break;
  }
  h += l4_size(l4) + 4;  // FCS
  return static_cast<unsigned>(h < 64 ? 64 : h);
}

std::size_t build_frame(const FlowSpec& f, unsigned wire, uint8_t tcp_flags, uint8_t* out, std::size_t cap) noexcept {
  uint8_t buf[256] = {};
  const std::size_t frame = wire - 4;
  const uint64_t h1 = mix64(f.id), h2 = mix64(f.id ^ 0x5555'0000'0000'0000ull), h3 = mix64(h2);
  // The flow id sits in the source address (distinct keys); ports vary too.
  const uint16_t sport = static_cast<uint16_t>(1024 + (h1 >> 16) % 64000);
  static constexpr uint16_t kServices[] = {443, 443, 443, 80, 53, 123, 993, 8080};
  const uint16_t dport = f.l4 == L4::udp && (h1 & 7) == 0 ? static_cast<uint16_t>(1024 + (h2 >> 16) % 60000)
                                                          : kServices[(h1 >> 8) & 7];
  const uint32_t id24 = f.id & 0xffffff;
  std::size_t at = kEth;
  switch (f.kind) {
    case Kind::ipv4: {
      eth(buf, 0x0800);
      const std::size_t total = frame - kEth;
      ipv4(buf + at, 0x0a000000u | id24, public4(h2) ^ (f.id >> 24), ip_proto(f.l4, false), total,
           static_cast<uint16_t>(h3));
      at += kIpv4;
      transport(buf + at, f.l4, false, sport, dport, total - kIpv4, tcp_flags);
      break;
    }
    case Kind::ipv6: {
      eth(buf, 0x86dd);
      uint8_t s[16], d[16];
      // EUI-64 client: 2001:718:1:X::/64 (CESNET2-like), iid from the id.
      addr6(s, 0x2001071800010000ull | (f.id >> 24), 0x021b21fffe000000ull | id24);
      native6(d, h2);
      const std::size_t payload = frame - kEth - kIpv6;
      ipv6(buf + at, s, d, ip_proto(f.l4, true), payload);
      at += kIpv6;
      transport(buf + at, f.l4, true, sport, dport, payload, tcp_flags);
      break;
    }
    case Kind::teredo: {
      eth(buf, 0x0800);
      // Client behind a NAT: mapped address and port from the id; relay one
      // of 16 public addresses. One flow in five runs between the client's
      // mapped port and the relay's ephemeral port, as Teredo data through
      // a relay does (RFC 4380 section 5.4); the rest on 3544.
      const uint32_t client = public4(h1) ^ id24;
      const uint16_t mapped = static_cast<uint16_t>(1024 + (f.id % 60000));
      const uint32_t relay = 0xc0000200u | static_cast<uint32_t>(h2 & 15);  // 192.0.2.x
      uint16_t relay_port = kTeredoPort;
      if (f.id % 5 == 4) {
        relay_port = static_cast<uint16_t>(1024 + (h3 >> 20) % 60000);
        if (relay_port == kTeredoPort) ++relay_port;
      }
      const std::size_t total = frame - kEth;
      ipv4(buf + at, client, relay, 17, total, static_cast<uint16_t>(h3));
      at += kIpv4;
      put16(buf + at, mapped);
      put16(buf + at + 2, relay_port);
      put16(buf + at + 4, static_cast<uint16_t>(total - kIpv4));
      put16(buf + at + 6, 0);
      at += kUdp;
      uint8_t s[16], d[16];
      // RFC 4380: 2001:0:SERVER:FLAGS:~PORT:~CLIENT.
      // Ids above 2^24 (other workers' pools) pick another server address.
      addr6(s, (0x20010000ull << 32) | (kTeredoServer + (f.id >> 24)),
            (uint64_t{0x8000} << 48) | (uint64_t{static_cast<uint16_t>(mapped ^ 0xffff)} << 32) | (client ^ 0xffffffffu));
      native6(d, h2);
      const std::size_t payload = total - kIpv4 - kUdp - kIpv6;
      ipv6(buf + at, s, d, ip_proto(f.l4, true), payload);
      at += kIpv6;
      transport(buf + at, f.l4, true, sport, dport, payload, tcp_flags);
      break;
    }
    case Kind::sixtofour:
    case Kind::isatap: {
      eth(buf, 0x0800);
      const uint32_t host = public4(h1) ^ id24;
      const bool sixtofour = f.kind == Kind::sixtofour;
      const std::size_t total = frame - kEth;
      ipv4(buf + at, host, sixtofour ? kSixToFourRelay : kIsatapRouter, 41, total, static_cast<uint16_t>(h3));
      at += kIpv4;
      uint8_t s[16], d[16];
      if (sixtofour) {
        // Windows numbering, 2002:V4:SUBNET::V4.
        addr6(s, (0x2002ull << 48) | (uint64_t{host} << 16) | (f.id >> 24), host);
      } else {
        // fe80::5efe:V4 would be link-local; a global ISATAP prefix.
        addr6(s, 0x2001071800ff0000ull | (f.id >> 24), (uint64_t{0x00005efe} << 32) | host);
      }
      native6(d, h2);
      const std::size_t payload = total - kIpv4 - kIpv6;
      ipv6(buf + at, s, d, ip_proto(f.l4, true), payload);
      at += kIpv6;
      transport(buf + at, f.l4, true, sport, dport, payload, tcp_flags);
      break;
    }
  }
  const std::size_t n = frame < cap ? frame : cap;
  const std::size_t written = n < sizeof buf ? n : sizeof buf;
  std::memcpy(out, buf, written);
  if (n > written) std::memset(out + written, 0, n - written);
  return n;
}

void ArenaDeleter::operator()(uint8_t* p) const noexcept { munmap(p, bytes); }

const std::vector<std::string>& mix_names() {
  static const std::vector<std::string> names{"teredo-1flow", "6to4-1flow", "isatap-1flow", "mix", "tunnel-heavy"};
  return names;
}

bool is_single_flow_mix(const std::string& mix) noexcept {
  return mix == "teredo-1flow" || mix == "6to4-1flow" || mix == "isatap-1flow";
}

namespace {

std::unique_ptr<uint8_t, ArenaDeleter> alloc_arena(std::size_t frames) {
  // Round to 2 MiB so that the whole arena can be huge pages (as DPDK's
  // mbufs are): lookups are then not measured through TLB misses on the
  // packet buffers.
  const std::size_t huge = std::size_t{2} << 20;
  const std::size_t bytes = (frames * Pool::kStride + huge - 1) / huge * huge;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  madvise(p, bytes, MADV_HUGEPAGE);
#endif
  return std::unique_ptr<uint8_t, ArenaDeleter>(static_cast<uint8_t*>(p), ArenaDeleter{bytes});
}

Kind single_kind(const std::string& mix) {
  if (mix == "teredo-1flow") return Kind::teredo;
  if (mix == "6to4-1flow") return Kind::sixtofour;
  if (mix == "isatap-1flow") return Kind::isatap;
  throw std::invalid_argument("not a single-flow mix: " + mix);
}

void add_frame(Pool& pool, std::size_t i, const FlowSpec& f, unsigned wire, uint8_t flags) {
  uint8_t* out = pool.arena.get() + i * Pool::kStride;
  pool.cap[i] = static_cast<uint16_t>(build_frame(f, wire, flags, out, Pool::kStride));
  pool.wire[i] = static_cast<uint16_t>(wire);
  ++pool.kind_frames[static_cast<int>(f.kind)];
}

void finish_mean(Pool& pool) {
  double sum = 0;
  for (std::size_t i = 0; i < pool.frames; ++i) sum += pool.wire[i];
  pool.mean_wire = pool.frames ? sum / static_cast<double>(pool.frames) : 0;
}

}  // namespace

Pool make_pool_ids(const std::string& mix, const std::string& variant, const std::vector<uint32_t>& ids) {
  Pool pool;
  pool.mix = mix;
  pool.variant = variant;
  pool.flows = static_cast<uint32_t>(ids.size());
  pool.frames = ids.size();
  pool.arena = alloc_arena(pool.frames);
  pool.cap.resize(pool.frames);
  pool.wire.resize(pool.frames);
  const Kind kind = single_kind(mix);
  const L4 l4 = variant == "tcp" ? L4::tcp : L4::none;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const FlowSpec f{kind, l4, ids[i]};
    add_frame(pool, i, f, min_wire_size(kind, l4), 0x10);
    ++pool.kind_flows[static_cast<int>(kind)];
  }
  finish_mean(pool);
  return pool;
}

Pool make_pool(const std::string& mix, const std::string& variant, uint32_t flows, std::size_t min_frames,
               uint64_t seed) {
  if (flows == 0) throw std::invalid_argument("a pool needs at least one flow");
  const uint32_t base = static_cast<uint32_t>(seed) << 22;  // other workers: other ids
  if (is_single_flow_mix(mix)) {
    std::vector<uint32_t> ids(flows);
    for (uint32_t i = 0; i < flows; ++i) ids[i] = base + i;
    return make_pool_ids(mix, variant, ids);
  }
  if (mix != "mix" && mix != "tunnel-heavy") throw std::invalid_argument("unknown mix: " + mix);
  Pool pool;
  pool.mix = mix;
  pool.flows = flows;
  pool.frames = flows > min_frames ? flows : min_frames;
  pool.arena = alloc_arena(pool.frames);
  pool.cap.resize(pool.frames);
  pool.wire.resize(pool.frames);

  // Flow kinds and transports, per flow.
  std::mt19937_64 rng(0x7475'6e70'0000'0000ull ^ seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<FlowSpec> spec(flows);
  const bool all_tunneled = mix == "tunnel-heavy";
  for (uint32_t f = 0; f < flows; ++f) {
    FlowSpec& s = spec[f];
    s.id = base + f;
    const double x = u(rng);
    if (!all_tunneled && x < 0.9839) {
      s.kind = Kind::ipv4;
    } else if (!all_tunneled && x < 0.9849) {
      s.kind = Kind::ipv6;
    } else {
      // Within the tunnels: Teredo 88 %, 6to4 12 %, ISATAP 0.06 %.
      const double t = u(rng) * 100.06;
      s.kind = t < 88.0 ? Kind::teredo : t < 100.0 ? Kind::sixtofour : Kind::isatap;
    }
    const double l = u(rng);
    s.l4 = l < 0.75 ? L4::tcp : l < 0.97 ? L4::udp : L4::icmp;
    ++pool.kind_flows[static_cast<int>(s.kind)];
  }
  // Packets: frame i belongs to flow i % flows; sizes per packet.
  static constexpr unsigned kSizes[] = {64, 128, 256, 576, 1024, 1518};
  static constexpr double kShare[] = {0.40, 0.10, 0.05, 0.05, 0.05, 0.35};
  for (std::size_t i = 0; i < pool.frames; ++i) {
    const FlowSpec& s = spec[i % flows];
    double x = u(rng);
    unsigned size = kSizes[5];
    for (int k = 0; k < 6; ++k) {
      if (x < kShare[k]) {
        size = kSizes[k];
        break;
      }
      x -= kShare[k];
    }
    const unsigned lo = min_wire_size(s.kind, s.l4);
    add_frame(pool, i, s, size < lo ? lo : size, (rng() & 1) ? 0x10 : 0x18);
  }
  finish_mean(pool);
  return pool;
}

std::string write_pcap(const Pool& pool, const std::string& path, std::size_t n, unsigned snap) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return path + ": cannot write";
  struct {
    uint32_t magic = 0xa1b2c3d4;
    uint16_t major = 2, minor = 4;
    int32_t zone = 0;
    uint32_t sigfigs = 0;
    uint32_t snaplen;
    uint32_t link = 1;
  } hdr;
  hdr.snaplen = snap == 0 ? 65535 : snap;
  std::fwrite(&hdr, sizeof hdr, 1, f);
  std::vector<uint8_t> buf(2048, 0);
  const uint64_t t0 = 1'767'225'600ull * 1'000'000;  // 2026-01-01, microseconds
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = k % pool.frames;
    const uint32_t frame_len = pool.wire[i] - 4u;
    const uint32_t caplen = snap == 0 ? frame_len : std::min<uint32_t>(pool.cap[i], snap);
    std::memcpy(buf.data(), pool.frame(i), pool.cap[i]);
    std::memset(buf.data() + pool.cap[i], 0, caplen > pool.cap[i] ? caplen - pool.cap[i] : 0);
    const uint64_t t = t0 + k;  // one packet per microsecond
    const uint32_t rec[4] = {static_cast<uint32_t>(t / 1'000'000), static_cast<uint32_t>(t % 1'000'000), caplen,
                             frame_len};
    std::fwrite(rec, sizeof rec, 1, f);
    std::fwrite(buf.data(), 1, caplen, f);
  }
  const bool ok = std::fflush(f) == 0;
  std::fclose(f);
  return ok ? "" : path + ": write error";
}

}  // namespace tunprobe::bench
