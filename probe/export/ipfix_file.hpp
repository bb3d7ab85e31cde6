// -o ipfix:PATH: an IPFIX file (RFC 5655), one libfixbuf session per file;
// `-` is stdout. With --rotate S a new file starts every S seconds (PATH is
// then an strftime pattern, UTC). SIGHUP closes the file and opens it again,
// appending a new session when it is still there. A file that cannot be
// written counts its records as failed and is tried again a second later.
#pragma once

#include <memory>

#include "probe/decode/decode_config.hpp"
#include "probe/export/output_spec.hpp"
#include "probe/export/outputs.hpp"

namespace tunprobe::ipfix {

// Throws StartupError when the first file cannot be written or --rotate has
// no pattern to expand.
std::unique_ptr<FlowOutput> make_ipfix_file(const OutputSpec& spec, const DecodeConfig& cfg);

}  // namespace tunprobe::ipfix
