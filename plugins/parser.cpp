// The parser (probe/decode/parse.hpp), instantiated with the plug-in
// registry: the parser template, the dispatch over the tables and the
// inlined plug-in checks compile as one unit, so that a UDP datagram, a
// protocol-41 or a GRE packet costs no call into a dispatcher.
#include "probe/decode/parse.hpp"

#include "plugins/registry.hpp"
#include "probe/decode/parse_impl.hpp"

namespace tunprobe {

using Parser = parse_detail::Parser<registry::Registry>;

void parse_ip(const uint8_t* p, const uint8_t* end, unsigned version_hint, const DecodeConfig& cfg,
              PacketInfo& out) noexcept {
  Parser::parse_ip_unclassified(p, end, version_hint, cfg, out);
  parse_detail::classify(out);
}

void parse_frame(const uint8_t* data, std::size_t len, LinkType link, const DecodeConfig& cfg,
                 PacketInfo& out) noexcept {
  Parser::parse_link(data, len, link, cfg, out);
  parse_detail::classify(out);
}

void parse_frame_unclassified(const uint8_t* data, std::size_t len, LinkType link, const DecodeConfig& cfg,
                              PacketInfo& out) noexcept {
  Parser::parse_link(data, len, link, cfg, out);
}

}  // namespace tunprobe
