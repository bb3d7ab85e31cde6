// Parameter sets of the parser (tp_parser), as `define so that the top,
// the testbenches and the synthesis wrapper share them.
//
// TP_EXT_CURRENT  the IPv6 extension headers the decoder walked before the
//                 parser change of issue 10: hop-by-hop 0, routing 43,
//                 fragment 44, AH 51, destination options 60.
// TP_EXT_ISSUE10  the IANA extension header registry that
//                 probe/decode/parse.cpp walks since that change (RFC 7045
//                 section 4): the above and Mobility 135, HIP 139, Shim6
//                 140, experimental 253, 254. ESP 50 is never walked.
// TP_TEREDO_NH    the next headers an IPv6 packet inside Teredo may start
//                 with, for content detection off the Teredo ports (parser
//                 change): the extension headers above with ESP 50, TCP 6,
//                 UDP 17, DCCP 33, ICMPv6 58, SCTP 132, UDP-Lite 136, no
//                 next header 59, IPv4 4, IPv6 41, GRE 47.
`ifndef TP_PARAMS_VH
`define TP_PARAMS_VH
`define TP_BIT(n) (256'd1 << (n))
`define TP_EXT_CURRENT (`TP_BIT(0) | `TP_BIT(43) | `TP_BIT(44) | `TP_BIT(51) | `TP_BIT(60))
`define TP_EXT_ISSUE10 (`TP_EXT_CURRENT | `TP_BIT(135) | `TP_BIT(139) | `TP_BIT(140) | `TP_BIT(253) | `TP_BIT(254))
`define TP_TEREDO_NH (`TP_EXT_ISSUE10 | `TP_BIT(4) | `TP_BIT(6) | `TP_BIT(17) | `TP_BIT(33) | `TP_BIT(41) | \
  `TP_BIT(47) | `TP_BIT(50) | `TP_BIT(58) | `TP_BIT(59) | `TP_BIT(132) | `TP_BIT(136))
// The parser's whole rule set, as parameter assignments of tp_parser or
// tp_dispatch: before (CURRENT) and after (ISSUE10) the parser change of
// issue 10. hw/rtl/meson.build picks the one the tree's decoder follows.
`define TP_RULES_CURRENT .EXT_SET(`TP_EXT_CURRENT), .ATOMIC_FRAG_IS_FRAG(1), .L4_CUT_DROPS(1), \
  .L4_BAD_DROPS(1), .EXT_CUT_DROPS(1), .TEREDO_CONTENT(0), .TEREDO_TRAILERS(0)
`define TP_RULES_ISSUE10 .EXT_SET(`TP_EXT_ISSUE10), .ATOMIC_FRAG_IS_FRAG(0), .L4_CUT_DROPS(0), \
  .L4_BAD_DROPS(0), .EXT_CUT_DROPS(0), .TEREDO_CONTENT(1), .TEREDO_TRAILERS(1)
`endif
