#include "plugins/teb.hpp"

namespace tunprobe {

MirrorClaim teb_match(const uint8_t*, std::size_t avail, std::size_t declared, const GreHeader& gre) noexcept {
  constexpr std::size_t kEthernetHeader = 14;
  if (avail < kEthernetHeader || declared < kEthernetHeader)
    return {MirrorType::none, Verdict::mirror_truncated, LinkType::ethernet, 0, 0};
  return {MirrorType::teb, Verdict::ok, LinkType::ethernet, 0, gre.key_present ? gre.key : 0};
}

}  // namespace tunprobe
