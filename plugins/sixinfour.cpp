#include "plugins/sixinfour.hpp"

namespace tunprobe {

bool sixinfour_match(const uint8_t* /*ip6*/, const DecodeConfig& /*cfg*/, PacketInfo& /*info*/) noexcept {
  return true;
}

}  // namespace tunprobe
