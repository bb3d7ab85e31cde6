// Small lookup blocks of the parser, kept apart so that a change of the
// software parser is a change of one parameter or one table.
`default_nettype none

// tp_ext_kind: is an IPv6 next header an extension header the walk steps
// over, and how is its length coded?
//   kind 0  not walked: the transport (or ESP 50, no next header 59, ...)
//   kind 1  length in 8-octet units, not counting the first 8 (RFC 8200
//           4.3 hop-by-hop, 4.4 routing, 4.6 destination options; the
//           uniform format of RFC 6564 section 4 for the others)
//   kind 2  AH: length in 4-octet units, minus 2 (RFC 4302 2.2)
//   kind 3  Fragment: 8 octets (RFC 8200 4.5)
// SET has bit n set for each next header n that is walked (44 and 51 get
// their own kinds whenever they are in the set). The model walks
// `TP_EXT_ISSUE10 of tp_params.vh (probe/decode/parse_impl.hpp, since the parser
// change of issue 10); before it, `TP_EXT_CURRENT, {0, 43, 44, 51, 60}.
module tp_ext_kind #(
  parameter [255:0] SET = 256'd0
) (
  input  wire [7:0] nh,
  output wire [1:0] kind
);
  wire walked = SET[nh];
  assign kind = !walked ? 2'd0 : nh == 8'd44 ? 2'd3 : nh == 8'd51 ? 2'd2 : 2'd1;
endmodule

`default_nettype wire
