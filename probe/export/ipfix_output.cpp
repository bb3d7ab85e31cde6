#include "probe/export/ipfix_output.hpp"

#include <fmt/format.h>

#include "probe/base/startup_error.hpp"
#include "probe/export/ipfix_file.hpp"
#include "probe/export/ipfix_tcp.hpp"
#include "probe/export/ipfix_udp.hpp"

namespace tunprobe {

std::unique_ptr<FlowOutput> make_ipfix_output(const OutputSpec& spec, const DecodeConfig& cfg) {
  if (spec.scheme == "ipfix") return ipfix::make_ipfix_file(spec, cfg);
  if (spec.scheme == "ipfix+udp") return ipfix::make_ipfix_udp(spec, cfg);
  if (spec.scheme == "ipfix+tcp") return ipfix::make_ipfix_tcp(spec, cfg);
  throw StartupError{fmt::format("-o {}: unknown output", spec.text())};
}

}  // namespace tunprobe
