// One JSON object per packet, as `tunprobe decode` prints it. Keys are IPFIX
// information element names where one exists; tunnel facts use the names of
// tunprobe's enterprise elements (templates/); enumerations are names.
#pragma once

#include <cstdint>
#include <string>

#include "probe/decode/packet.hpp"

namespace tunprobe {

std::string format_ip(const uint8_t addr[16], unsigned version);

class JsonObject;
// The outer addresses and ports of a tunnel, Teredo address facts, embedded
// IPv4 and relay: shared by packets (decode) and flows.
void append_tunnel_fields(JsonObject& o, const PacketInfo& p);

// Appends the object (no trailing newline) to `out`.
void append_packet_json(std::string& out, uint64_t index, uint64_t ts_ns, const PacketInfo& info);

}  // namespace tunprobe
