// Finished flows as JSON lines (`-o json:PATH`). Same key names as
// `tunprobe decode` and as the IPFIX elements (templates/).
#pragma once

#include <string>

#include "probe/decode/decode_config.hpp"
#include "probe/flow/flow_record.hpp"

namespace tunprobe {

// Re-derives what follows from a flow's key (Teredo server/client, embedded
// IPv4, relay) into the tunnel fields of `out`, with the same plug-in code
// that decoded the packets.
void derive_tunnel_facts(const FlowRecord& rec, const DecodeConfig& cfg, PacketInfo& out) noexcept;

void append_flow_json(std::string& out, const FlowRecord& rec, const DecodeConfig& cfg);

}  // namespace tunprobe
