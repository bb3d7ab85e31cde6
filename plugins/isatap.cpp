#include "plugins/isatap.hpp"

#include "probe/decode/plugin.hpp"

namespace tunprobe {

bool isatap_match(const uint8_t* ip6, const DecodeConfig& /*cfg*/, PacketInfo& info) noexcept {
  const uint8_t* src = ip6 + 8;
  const uint8_t* dst = ip6 + 24;
  const bool s = is_isatap_iid(src);
  const bool d = is_isatap_iid(dst);
  if (!s && !d) return false;
  set_embedded(s ? isatap_embedded_ipv4(src) : 0, d ? isatap_embedded_ipv4(dst) : 0, info);
  return true;
}

}  // namespace tunprobe
