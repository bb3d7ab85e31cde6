// tp_fv_build: the 320-bit field vector of a parsed frame.
//
// The hardware form of build_field_vector() (hw/crc_dispatch.cpp); the
// layout is the table in hw/crc_dispatch.hpp, "FIELD VECTOR":
//   bytes  0..15 addr_lo, 16..31 addr_hi (network order), 32..33 port_lo,
//   34..35 port_hi (big-endian), 36 protocol, 37 ip_version, 38..39 zero.
// Bus bit b is stream bit b: bit (b mod 8) of byte b/8, so byte i is
// fv[8i+7:8i].
// Rules, in the model's order:
//   * a dropped frame (or no IP version) has the all-zero vector;
//   * a tunnel whose OUTER IPv4 header is a fragment takes the outer pair,
//     version 4, protocol 0, ports 0 (its later fragments carry no inner
//     header);
//   * otherwise the packet's own level: addresses (IPv4 in the first 4
//     bytes of the slot), and unless it is a fragment its protocol and,
//     where the parser found them, its ports;
//   * the endpoints are ordered: the lower is the one whose 16-byte address
//     is smaller as a big-endian number (memcmp), then the smaller port.
//
// Addresses come in as 128-bit numbers with the address's first byte in
// bits 127:120, so "smaller as big-endian bytes" is "smaller as a number".
//
// A registered stage between the parser and the CRC: in_valid/in_ready
// take a parse result (the parser is then free for the next frame), the
// endpoint comparison is registered one cycle later, and the vector is
// offered (out_valid/out_ready) from the cycle after: the comparison and
// the 288-bit selection it drives each get a clock period of their own.
// The comparison is a tree over bytes (five levels for 18 bytes) rather
// than one 144-bit carry chain. Latency 2 cycles; one result per 3 cycles
// at most, faster than the CRC behind it.
`default_nettype none

module tp_fv_build (
  input  wire         clk,
  input  wire         rst,
  input  wire         in_valid,
  output wire         in_ready,
  output wire         out_valid,
  input  wire         out_ready,
  input  wire         drop,
  input  wire [7:0]   ip_version,
  input  wire         tunnel,
  input  wire         is_fragment,
  input  wire         frag_outer,
  input  wire [31:0]  outer_src4,
  input  wire [31:0]  outer_dst4,
  input  wire [127:0] src,
  input  wire [127:0] dst,
  input  wire [7:0]   protocol,
  input  wire         has_ports,
  input  wire [15:0]  sport,
  input  wire [15:0]  dport,
  output wire [319:0] fv
);

  // The parse result, held until the CRC takes the vector.
  reg         q_full, q_ordered;
  reg         r_drop, r_v6, r_tunnel, r_frag, r_fout, r_hp, r_lower;
  reg [31:0]  r_os4, r_od4;
  reg [127:0] r_src, r_dst;
  reg [7:0]   r_proto;
  reg [15:0]  r_sp, r_dp;
  assign in_ready = !q_full;
  assign out_valid = q_full && q_ordered;
  wire b_lower;

  always @(posedge clk) begin
    if (rst) begin
      q_full <= 1'b0;
      q_ordered <= 1'b0;
    end else if (in_valid && in_ready) begin
      q_full <= 1'b1;
      q_ordered <= 1'b0;
    end else if (q_full && !q_ordered) begin
      q_ordered <= 1'b1;
    end else if (out_valid && out_ready) begin
      q_full <= 1'b0;
    end
    if (in_valid && in_ready) begin
      r_drop <= drop || (ip_version != 8'd4 && ip_version != 8'd6);
      r_v6 <= ip_version == 8'd6;
      r_tunnel <= tunnel;
      r_frag <= is_fragment;
      r_fout <= frag_outer;
      r_os4 <= outer_src4;
      r_od4 <= outer_dst4;
      r_src <= src;
      r_dst <= dst;
      r_proto <= protocol;
      r_hp <= has_ports;
      r_sp <= sport;
      r_dp <= dport;
    end
    if (q_full && !q_ordered) r_lower <= b_lower;
  end

  wire outer = r_tunnel && r_frag && r_fout;

  wire [127:0] a_addr = outer ? {r_os4, 96'b0} : r_src;
  wire [127:0] b_addr = outer ? {r_od4, 96'b0} : r_dst;
  wire         l4 = !outer && !r_frag;
  wire [15:0]  a_port = l4 && r_hp ? r_sp : 16'd0;
  wire [15:0]  b_port = l4 && r_hp ? r_dp : 16'd0;
  wire [7:0]   proto = l4 ? r_proto : 8'd0;
  wire [7:0]   ver = (r_v6 && !outer) ? 8'd6 : 8'd4;

  // b < a as (address, port), most significant byte first.
  wire [143:0] ka = {a_addr, a_port};
  wire [143:0] kb = {b_addr, b_port};
  // The lowest group's `eq` of each level is never needed (a tree for `<`).
  /* verilator lint_off UNUSEDSIGNAL */
  wire [17:0] lt0, eq0;
  genvar i;
  generate
    for (i = 0; i < 18; i = i + 1) begin : bytecmp
      assign lt0[i] = kb[8*i +: 8] < ka[8*i +: 8];
      assign eq0[i] = kb[8*i +: 8] == ka[8*i +: 8];
    end
  endgenerate
  // Pairwise: (hi, lo) -> lt = lt_hi | eq_hi & lt_lo, eq = eq_hi & eq_lo.
  // 18 -> 9 -> 5 (one passes) -> 3 -> 2 -> 1.
  wire [8:0] lt1, eq1;
  generate
    for (i = 0; i < 9; i = i + 1) begin : l1
      assign lt1[i] = lt0[2*i+1] | (eq0[2*i+1] & lt0[2*i]);
      assign eq1[i] = eq0[2*i+1] & eq0[2*i];
    end
  endgenerate
  wire [4:0] lt2 = {lt1[8], lt1[7] | (eq1[7] & lt1[6]), lt1[5] | (eq1[5] & lt1[4]),
                    lt1[3] | (eq1[3] & lt1[2]), lt1[1] | (eq1[1] & lt1[0])};
  wire [4:0] eq2 = {eq1[8], eq1[7] & eq1[6], eq1[5] & eq1[4], eq1[3] & eq1[2], eq1[1] & eq1[0]};
  wire [2:0] lt3 = {lt2[4], lt2[3] | (eq2[3] & lt2[2]), lt2[1] | (eq2[1] & lt2[0])};
  wire [2:0] eq3 = {eq2[4], eq2[3] & eq2[2], eq2[1] & eq2[0]};
  /* verilator lint_on UNUSEDSIGNAL */
  wire lt4 = lt3[1] | (eq3[1] & lt3[0]);
  assign b_lower = lt3[2] | (eq3[2] & lt4);

  wire [127:0] lo_addr = r_lower ? b_addr : a_addr;
  wire [127:0] hi_addr = r_lower ? a_addr : b_addr;
  wire [15:0]  lo_port = r_lower ? b_port : a_port;
  wire [15:0]  hi_port = r_lower ? a_port : b_port;

  // Big-endian numbers -> byte 0 in bits 7:0.
  function [127:0] bytes16;
    input [127:0] v;
    integer k;
    begin
      for (k = 0; k < 16; k = k + 1) bytes16[8*k +: 8] = v[127 - 8*k -: 8];
    end
  endfunction

  wire [319:0] vec = {16'd0, ver, proto, hi_port[7:0], hi_port[15:8], lo_port[7:0], lo_port[15:8],
                      bytes16(hi_addr), bytes16(lo_addr)};
  assign fv = r_drop ? 320'd0 : vec;

endmodule

`default_nettype wire
