// IPFIX outputs (RFC 7011 messages, RFC 5655 files), encoded by libfixbuf
// with the templates of templates/ (one profile per output).
//
//   -o ipfix:PATH              a file; --rotate S starts a new one every S
//                              seconds (PATH is then an strftime pattern, UTC)
//   -o ipfix+udp://HOST:PORT   one message per datagram, at most --export-mtu
//                              less the IP/UDP headers; templates at start and
//                              every --template-refresh seconds (RFC 7011 10.3.6)
//   -o ipfix+tcp://HOST:PORT   reconnects with back-off (0.5 s doubling to 30
//                              s) when the collector goes away; templates on
//                              each new connection; records wait in a buffer
//                              of --export-buffer records meanwhile, and those
//                              beyond it are counted as dropped
//   any of them ?profile=NAME  this output's profile instead of --profile
//
// Only the exporter thread calls an output, so only it touches libfixbuf.
// libfixbuf encodes into a FILE* of our own (fopencookie); this file frames
// whole messages out of it and carries them: that is what lets the UDP
// output count send errors, keep datagrams within the MTU, and the TCP one
// connect without blocking and know which records the collector's TCP has
// acknowledged (SIOCOUTQ): records in messages not yet acknowledged when a
// connection breaks are sent again on the next one (so a collector may see
// a few twice, never none).
#pragma once

#include <memory>

#include "probe/decode/decode_config.hpp"
#include "probe/export/outputs.hpp"
#include "probe/decode/decode_config.hpp"
#include "probe/export/output_spec.hpp"

namespace tunprobe {

// Throws StartupError (one line, naming the output) when the output cannot
// start: a file that cannot be written, a host that does not resolve.
std::unique_ptr<FlowOutput> make_ipfix_output(const OutputSpec& spec, const DecodeConfig& cfg);

}  // namespace tunprobe
