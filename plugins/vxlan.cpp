#include "plugins/vxlan.hpp"

#include "probe/base/bytes.hpp"

namespace tunprobe {

namespace {
constexpr std::size_t kVxlanHeader = 8;
constexpr std::size_t kEthernetHeader = 14;
constexpr uint8_t kFlagVni = 0x08;  // the I flag
}  // namespace

MirrorClaim vxlan_match(const uint8_t* payload, std::size_t avail, std::size_t declared) noexcept {
  if (avail < kVxlanHeader + kEthernetHeader || declared < kVxlanHeader + kEthernetHeader)
    return {MirrorType::none, Verdict::mirror_truncated, LinkType::ethernet, 0, 0};
  if ((payload[0] & kFlagVni) == 0) return {MirrorType::none, Verdict::vxlan_bad_header, LinkType::ethernet, 0, 0};
  const uint32_t vni = load_be32(payload + 4) >> 8;
  return {MirrorType::vxlan, Verdict::ok, LinkType::ethernet, kVxlanHeader, vni};
}

}  // namespace tunprobe
