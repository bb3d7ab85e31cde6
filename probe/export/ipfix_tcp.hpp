// -o ipfix+tcp://HOST:PORT: connects without blocking and reconnects with
// back-off (0.5 s doubling to 30 s) when the collector goes away; templates
// on each new connection. Records wait in a buffer of --export-buffer
// records meanwhile, and those beyond it are counted as dropped. A record is
// delivered once the collector's TCP has acknowledged the last byte of its
// message (SIOCOUTQ): records in messages not yet acknowledged when a
// connection breaks are sent again on the next one (so a collector may see
// a few twice, never none). close() waits, bounded, for the rest.
#pragma once

#include <memory>

#include "probe/decode/decode_config.hpp"
#include "probe/export/output_spec.hpp"
#include "probe/export/outputs.hpp"

namespace tunprobe::ipfix {

// Throws StartupError when the host does not resolve; a collector that is
// not there yet is not an error.
std::unique_ptr<FlowOutput> make_ipfix_tcp(const OutputSpec& spec, const DecodeConfig& cfg);

}  // namespace tunprobe::ipfix
