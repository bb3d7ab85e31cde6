#include "plugins/erspan.hpp"

#include "probe/base/bytes.hpp"

namespace tunprobe {

namespace {
constexpr std::size_t kType2Header = 8;
constexpr std::size_t kType3Header = 12;
constexpr std::size_t kType3Subheader = 8;
constexpr std::size_t kEthernetHeader = 14;
constexpr unsigned kFrameEthernet = 0;
constexpr unsigned kFrameIp = 2;

constexpr MirrorClaim refuse(Verdict v) { return {MirrorType::none, v, LinkType::ethernet, 0, 0}; }

// Check 3 and the claim: `offset` bytes of ERSPAN header lie in front of a
// frame of `link` type.
MirrorClaim frame_after(MirrorType type, std::size_t offset, LinkType link, uint32_t session, std::size_t avail,
                        std::size_t declared) noexcept {
  const std::size_t need = offset + (link == LinkType::ethernet ? kEthernetHeader : 1);
  if (avail < need || declared < need) return refuse(Verdict::mirror_truncated);
  return {type, Verdict::ok, link, static_cast<uint16_t>(offset), session};
}

uint32_t session_id(const uint8_t* p) noexcept { return load_be16(p + 2) & 0x3ffu; }
}  // namespace

MirrorClaim erspan_match(const uint8_t* p, std::size_t avail, std::size_t declared, const GreHeader& gre) noexcept {
  if (!gre.sequence_present) return frame_after(MirrorType::erspan1, 0, LinkType::ethernet, 0, avail, declared);
  if (avail < kType2Header || declared < kType2Header) return refuse(Verdict::mirror_truncated);
  if ((p[0] >> 4) != 1) return refuse(Verdict::erspan_bad_header);
  return frame_after(MirrorType::erspan2, kType2Header, LinkType::ethernet, session_id(p), avail, declared);
}

MirrorClaim erspan3_match(const uint8_t* p, std::size_t avail, std::size_t declared, const GreHeader&) noexcept {
  if (avail < kType3Header || declared < kType3Header) return refuse(Verdict::mirror_truncated);
  if ((p[0] >> 4) != 2) return refuse(Verdict::erspan_bad_header);
  const unsigned frame_type = (p[10] >> 2) & 0x1f;
  if (frame_type != kFrameEthernet && frame_type != kFrameIp) return refuse(Verdict::erspan_bad_header);
  const std::size_t offset = kType3Header + ((p[11] & 1) != 0 ? kType3Subheader : 0);
  return frame_after(MirrorType::erspan3, offset, frame_type == kFrameIp ? LinkType::raw_ip : LinkType::ethernet,
                     session_id(p), avail, declared);
}

}  // namespace tunprobe
