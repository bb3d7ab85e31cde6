#include "plugins/ayiya.hpp"

#include "probe/base/bytes.hpp"
#include "probe/base/protocols.hpp"

namespace tunprobe {

namespace {

constexpr std::size_t kFixedHeader = 8;
constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kIpv4Header = 20;
constexpr unsigned kMaxIdType = 2;   // string
constexpr unsigned kMaxHash = 2;     // SHA-1
constexpr unsigned kMaxAuth = 2;     // public key
constexpr unsigned kMaxOpCode = 7;   // query response
constexpr unsigned kOpForward = 1;
constexpr unsigned kOpEchoRequestForward = 3;

inline UdpMatch no(Verdict v) noexcept { return {false, v, 0}; }

}  // namespace

UdpMatch ayiya_udp_match(const uint8_t* p, std::size_t avail, std::size_t declared, bool on_port,
                         PacketInfo* /*info*/) noexcept {
  if (!on_port) return no(Verdict::ok);  // ports only: no content filter is registered
  // 1. The fixed header, then its defined values, then the identity and
  // the signature it announces.
  if (declared < kFixedHeader || avail < kFixedHeader) return no(Verdict::ayiya_truncated);
  if ((p[0] & 0x0f) > kMaxIdType || (p[1] & 0x0f) > kMaxHash || (p[2] >> 4) > kMaxAuth || (p[2] & 0x0f) > kMaxOpCode)
    return no(Verdict::ayiya_bad_header);
  const std::size_t id_len = std::size_t{1} << (p[0] >> 4);
  const std::size_t sig_len = static_cast<std::size_t>(p[1] >> 4) * 4;
  const std::size_t inner = kFixedHeader + id_len + sig_len;
  if (declared < inner || avail < inner) return no(Verdict::ayiya_truncated);
  // 3. Messages without a packet.
  const unsigned op = p[2] & 0x0f;
  const uint8_t next = p[3];
  if ((op != kOpForward && op != kOpEchoRequestForward) || next == kIpProtoNoNext) return no(Verdict::ayiya_control);
  if (next == kIpProtoIpip) {
    // 5. The IPv4 packet (RFC 791): the header whole, its total length
    // what follows the signature.
    if (declared - inner < kIpv4Header) return no(Verdict::ayiya_length_mismatch);
    if (avail - inner < kIpv4Header) return no(Verdict::ayiya_truncated);
    const uint8_t* ip4 = p + inner;
    const std::size_t ihl = static_cast<std::size_t>(ip4[0] & 0x0f) * 4;
    if ((ip4[0] >> 4) != 4 || ihl < kIpv4Header || load_be16(ip4 + 2) != declared - inner)
      return no(Verdict::ayiya_length_mismatch);
    return {true, Verdict::ok, static_cast<uint16_t>(inner), 4};
  }
  if (next != kIpProtoIpv6) return no(Verdict::ayiya_bad_header);
  // 4. The IPv6 packet.
  if (declared - inner < kIpv6Header) return no(Verdict::ayiya_length_mismatch);
  if (avail - inner < kIpv6Header) return no(Verdict::ayiya_truncated);
  const uint8_t* ip6 = p + inner;
  if ((ip6[0] >> 4) != 6 || kIpv6Header + load_be16(ip6 + 4) != declared - inner)
    return no(Verdict::ayiya_length_mismatch);
  return {true, Verdict::ok, static_cast<uint16_t>(inner)};
}

}  // namespace tunprobe
