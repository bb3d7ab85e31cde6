#include "plugins/ipv6_udp.hpp"

#include "probe/base/bytes.hpp"
#include "probe/base/protocols.hpp"
#include "probe/decode/address_forms.hpp"

namespace tunprobe {

UdpMatch ipv6_udp_match(const uint8_t* p, std::size_t avail, std::size_t declared, bool /*on_port*/,
                        PacketInfo* /*info*/) noexcept {
  constexpr UdpMatch no{false, Verdict::ok, 0};
  constexpr std::size_t kIpv6Header = 40;
  if (declared < kIpv6Header || avail < kIpv6Header || (p[0] >> 4) != 6) return no;  // 0
  if (kIpv6Header + load_be16(p + 4) != declared) return no;                         // 1
  if (!is_known_first_next_header(p[6])) return no;                                  // 2
  if (p[8] == 0xff) return no;                                                       // 3
  if (has_teredo_end(p)) return no;                                                  // 4
  return {true, Verdict::ok, 0};
}

}  // namespace tunprobe
