// IPFIX outputs (RFC 7011 messages, RFC 5655 files), encoded by libfixbuf
// with the templates of templates/ (one profile per output), one file per
// part:
//
//   ipfix_encoder   the libfixbuf session, cut into whole messages with
//                   their record counts; what the outputs share
//   ipfix_file      -o ipfix:PATH, with --rotate S (PATH an strftime
//                   pattern, UTC)
//   ipfix_udp       -o ipfix+udp://HOST:PORT, a message per datagram within
//                   --export-mtu, templates every --template-refresh s
//   ipfix_tcp       -o ipfix+tcp://HOST:PORT, reconnecting, --export-buffer
//                   records held meanwhile, delivery by TCP acknowledgement
//   any of them ?profile=NAME  this output's profile instead of --profile
//
// Only the exporter thread calls an output, so only it touches libfixbuf.
#pragma once

#include <memory>

#include "probe/decode/decode_config.hpp"
#include "probe/export/output_spec.hpp"
#include "probe/export/outputs.hpp"

namespace tunprobe {

// Throws StartupError (one line, naming the output) when the output cannot
// start: a file that cannot be written, a host that does not resolve.
std::unique_ptr<FlowOutput> make_ipfix_output(const OutputSpec& spec, const DecodeConfig& cfg);

}  // namespace tunprobe
