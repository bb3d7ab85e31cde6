// Mirror types: how a SPAN copy reached the probe over the network (issue:
// "mirrored traffic"). With --mirror, the mirror's own headers (outer
// Ethernet, IP, UDP or GRE, the mirror header) are stripped and counted, and
// the mirrored frame is decoded as if it had arrived on the port; the
// mirror's session (VNI, ERSPAN session id, GRE key) is the record's
// observation point id.
//
//   enumerator  MirrorType::e
//   value       the mirrorType IPFIX element (unsigned8), the JSON and the
//               counters' index: never renumber; values are the indexes
//   name        JSON and the statistics
//   label       the summary
//   option      the --mirror word that turns it on (erspan: all three types)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tunprobe {

// X(enumerator, value, name, label, option)
#define TUNPROBE_MIRROR_TYPES(X)                                       \
  X(none, 0, "none", "not mirrored", "none")                           \
  X(vxlan, 1, "vxlan", "VXLAN (RFC 7348)", "vxlan")                    \
  X(erspan1, 2, "erspan1", "ERSPAN type I", "erspan")                  \
  X(erspan2, 3, "erspan2", "ERSPAN type II", "erspan")                 \
  X(erspan3, 4, "erspan3", "ERSPAN type III", "erspan")                \
  X(teb, 5, "teb", "GRE transparent Ethernet bridging", "teb")

enum class MirrorType : uint8_t {
#define TUNPROBE_X(e, v, n, l, o) e = v,
  TUNPROBE_MIRROR_TYPES(TUNPROBE_X)
#undef TUNPROBE_X
};

struct MirrorTypeInfo {
  MirrorType type;
  std::string_view name;
  std::string_view label;
  std::string_view option;
};

inline constexpr auto kMirrorTypes = std::to_array<MirrorTypeInfo>({
#define TUNPROBE_X(e, v, n, l, o) {MirrorType::e, n, l, o},
    TUNPROBE_MIRROR_TYPES(TUNPROBE_X)
#undef TUNPROBE_X
});
inline constexpr std::size_t kMirrorTypeCount = kMirrorTypes.size();
#define TUNPROBE_X(e, v, n, l, o) \
  static_assert(static_cast<std::size_t>(MirrorType::e) == v && v < kMirrorTypeCount);
TUNPROBE_MIRROR_TYPES(TUNPROBE_X)
#undef TUNPROBE_X

constexpr const MirrorTypeInfo& mirror_type_info(MirrorType t) { return kMirrorTypes[static_cast<std::size_t>(t)]; }
constexpr std::string_view mirror_type_name(MirrorType t) { return mirror_type_info(t).name; }

// The set of mirror types --mirror turned on, one bit per type.
using MirrorSet = uint8_t;
static_assert(kMirrorTypeCount <= 8);
constexpr MirrorSet mirror_bit(MirrorType t) { return static_cast<MirrorSet>(1u << static_cast<unsigned>(t)); }
// `auto`: every type.
constexpr MirrorSet kAllMirrors = static_cast<MirrorSet>(((1u << kMirrorTypeCount) - 1) & ~1u);

}  // namespace tunprobe
