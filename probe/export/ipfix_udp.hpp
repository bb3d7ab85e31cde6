// -o ipfix+udp://HOST:PORT: one IPFIX message per datagram, at most
// --export-mtu less the IP/UDP headers; templates at start and every
// --template-refresh seconds (RFC 7011 10.3.6). Datagrams that cannot be
// sent (no collector listening: ICMP errors on a connected socket) count
// their records as failed; never fatal.
#pragma once

#include <memory>

#include "probe/decode/decode_config.hpp"
#include "probe/export/output_spec.hpp"
#include "probe/export/outputs.hpp"

namespace tunprobe::ipfix {

// Throws StartupError when the host does not resolve or no socket opens.
std::unique_ptr<FlowOutput> make_ipfix_udp(const OutputSpec& spec, const DecodeConfig& cfg);

}  // namespace tunprobe::ipfix
