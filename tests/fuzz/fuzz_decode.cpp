// libFuzzer target for the decoder: any bytes, every link type, with
// Teredo content detection, two Teredo ports, 6rd prefixes and every mirror
// (the widest decoder), must give a verdict without reading out of bounds or hitting
// undefined behaviour.
#include <cstddef>
#include <cstdint>

#include "probe/decode/parse.hpp"

namespace {

tunprobe::DecodeConfig wide_config() {
  tunprobe::DecodeConfig cfg;
  cfg.detect(tunprobe::TunnelType::teredo) = tunprobe::UdpDetect::content;
  cfg.ports(tunprobe::TunnelType::teredo).port[1] = 3545;
  cfg.ports(tunprobe::TunnelType::teredo).count = 2;
  // 2a01:e00::/26, an example 6rd prefix.
  cfg.sixrd[0].prefix[0] = 0x2a;
  cfg.sixrd[0].prefix[1] = 0x01;
  cfg.sixrd[0].prefix[2] = 0x0e;
  cfg.sixrd[0].length = 26;
  // 2001:db8::/24 with the CEs in 10.0.0.0/8 (RFC 5969 IPv4MaskLen 8).
  cfg.sixrd[1].prefix[0] = 0x20;
  cfg.sixrd[1].prefix[1] = 0x01;
  cfg.sixrd[1].prefix[2] = 0x0d;
  cfg.sixrd[1].length = 24;
  cfg.sixrd[1].ipv4_mask_len = 8;
  cfg.sixrd[1].ipv4_prefix = 0x0a000000;
  cfg.sixrd_count = 2;
  // Every mirror (VXLAN, ERSPAN I-III, Ethernet in GRE), and IPv6 in UDP by content.
  cfg.mirrors = tunprobe::kAllMirrors;
  cfg.detect(tunprobe::TunnelType::ipv6_udp) = tunprobe::UdpDetect::content;
  return cfg;
}

const tunprobe::DecodeConfig kWide = wide_config();
const tunprobe::DecodeConfig kDefault{};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tunprobe::LinkType;
  tunprobe::PacketInfo info;
  for (LinkType link : {LinkType::ethernet, LinkType::raw_ip, LinkType::null_bsd, LinkType::linux_sll}) {
    tunprobe::parse_frame(data, size, link, kWide, info);
    if (static_cast<std::size_t>(info.verdict) >= tunprobe::kVerdictCount) __builtin_trap();
    tunprobe::parse_frame(data, size, link, kDefault, info);
  }
  return 0;
}
