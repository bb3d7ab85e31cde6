#include "plugins/ip6tnl.hpp"

namespace tunprobe {

namespace {

Verdict ip6tnl_fit_verdict(CarriedFit fit) noexcept {
  switch (fit) {
    case CarriedFit::whole: return Verdict::ok;
    case CarriedFit::truncated: return Verdict::ip6tnl_truncated;
    case CarriedFit::bad: return Verdict::ip6tnl_bad_payload;
  }
  return Verdict::ip6tnl_bad_payload;
}

}  // namespace

Verdict ip6tnl_check_ipv6(const uint8_t* p, std::size_t avail, std::size_t declared, bool fragment) noexcept {
  return ip6tnl_fit_verdict(carried_ipv6_fit(p, avail, declared, fragment));
}

Verdict ip6tnl_check_ipv4(const uint8_t* p, std::size_t avail, std::size_t declared, bool fragment) noexcept {
  return ip6tnl_fit_verdict(carried_ipv4_fit(p, avail, declared, fragment));
}

}  // namespace tunprobe
