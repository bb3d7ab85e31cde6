// tp_dispatch: the CRC distributor core (HANIC's distributor, after Elich,
// Gregr, Celeda, "Monitoring of Tunneled IPv6 Traffic Using Packet
// Decapsulation and IPFIX"): frames in, one (channel, hash, field vector)
// out per frame, in frame order. The hardware form of hw/crc_dispatch.hpp:
// the same field vector, CRC-32C and channel as the software dispatcher
// `--dispatch crc` computes, bit for bit.
//
//   s_axis (64-bit AXI4-Stream, tkeep, tlast, backpressure)
//     -> tp_window   32-byte (4-beat) window on the current frame
//     -> tp_parser   header parse (what parse_frame decides for the vector)
//     -> tp_fv_build 320-bit field vector, endpoints ordered (registered)
//     -> tp_crc32c   CRC-32C, 64 bits per cycle, 5 cycles
//     -> tp_channel  low log2(NUM_CHANNELS) bits; dropped frames -> 0
//   m_* (valid/ready): m_channel, m_hash, m_ip (the frame had an IP level
//   the vector took; 0 = channel 0 by rule), m_fv (the field vector).
//   cfg_* (static while frames are in the core): DecodeConfig, so that the
//   card decides as the software does: cfg_teredo_ports / _port_en are
//   --teredo-ports (slot i in bits 16i+15:16i), cfg_teredo_any_port is
//   --teredo-detect content (1, the default) or ports (0). (--6rd-prefix changes the tunnel's name, not the
//   vector: every protocol-41 tunnel carries its inner flow.)
// Parameters: NUM_CHANNELS (1..64, a power of two: the worker count of
// `--dispatch crc`), NPORTS (Teredo port slots, 8 as in DecodeConfig), and
// the parser rules (tp_parser: EXT_SET, ATOMIC_FRAG_IS_FRAG, L4_CUT_DROPS,
// L4_BAD_DROPS, EXT_CUT_DROPS, TEREDO_CONTENT, TEREDO_TRAILERS; by default
// the rules of the decoder in the tree, `TP_RULES_ISSUE10 of tp_params.vh).
//
// One result per frame, whatever the frame is: runts, non-IP, truncated
// and malformed frames get the model's fallback (the all-zero vector and
// channel 0 where the model drops; the IPv4 flow where it keeps a failed
// tunnel as IPv4), and the parse never waits for bytes that will not come.
// The frame itself is not passed through: the shell (a NIC's DMA engine)
// keeps it and takes its channel from m_* in the same order.
//
// Timing, one clock (figures measured by the Verilator testbench,
// hw/rtl/tb/tb_dispatch.cpp, on all 40233 test frames at full-rate input
// with an always-ready output; README "Hardware"):
//   latency     the result is valid 9 cycles after the frame's last beat
//               was taken (parser 2, vector stage 2, CRC 5), up to 17 when
//               it waits behind earlier frames in the back end (runts);
//   throughput  a frame holds the input for at most
//                 max(max(beats, steps) + 3, 7) cycles
//               (asserted by the testbench for every frame): beats =
//               ceil(length / 8); steps = the parser's header reads, one
//               per cycle, each of up to 8 bytes, the first once 14 bytes
//               are in; 7 = the back end's 6 cycles per frame (CRC 5 words
//               + hand-over) plus the hand-off, which only back-to-back
//               runts under 5 beats meet. Headers in pieces of 8 bytes or
//               more (IPv4, IPv6, UDP, TCP, Teredo, 6to4) take no more
//               steps than beats: the input then runs at one beat per
//               cycle, plus 1 to 3 cycles per frame.
//   worst case at minimum-size frames (60-64 bytes without FCS, 8 beats):
//               11 cycles (8 MPLS labels, or Teredo behind an 802.1Q tag,
//               cut at 62 bytes: 9 steps); the smallest Teredo frame (82
//               bytes) takes 13 cycles, the smallest 6to4 frame (74 bytes)
//               12 (both cut inside their transport header, which the
//               default rules keep as flows).
//               10 GbE on a 64-bit bus at 156.25 MHz allows (L + 24) / 8
//               cycles for an L-byte frame: 10.5 at 60 bytes, 13.25 for the
//               Teredo frame, 12.25 for the 6to4 frame.
`default_nettype none
`include "tp_params.vh"

module tp_dispatch #(
  parameter NUM_CHANNELS = 16,
  parameter NPORTS = 8,
  parameter [255:0] EXT_SET = `TP_EXT_ISSUE10,
  parameter ATOMIC_FRAG_IS_FRAG = 0,
  parameter L4_CUT_DROPS = 0,
  parameter L4_BAD_DROPS = 0,
  parameter EXT_CUT_DROPS = 0,
  parameter TEREDO_CONTENT = 1,
  parameter TEREDO_TRAILERS = 1
) (
  input  wire                 clk,
  input  wire                 rst,
  input  wire                 s_axis_tvalid,
  output wire                 s_axis_tready,
  input  wire [63:0]          s_axis_tdata,
  input  wire [7:0]           s_axis_tkeep,
  input  wire                 s_axis_tlast,
  input  wire [16*NPORTS-1:0] cfg_teredo_ports,
  input  wire [NPORTS-1:0]    cfg_teredo_port_en,
  input  wire                 cfg_teredo_any_port,
  output wire                 m_valid,
  input  wire                 m_ready,
  output wire [5:0]           m_channel,
  output wire [31:0]          m_hash,
  output wire                 m_ip,
  output wire [319:0]         m_fv
);

  wire [16:0]  rd_x, n_arr;
  wire         rd_free, frame_next, eof;
  wire [63:0]  rd_data;

  tp_window u_window (
    .clk(clk), .rst(rst),
    .s_tvalid(s_axis_tvalid), .s_tready(s_axis_tready), .s_tdata(s_axis_tdata),
    .s_tkeep(s_axis_tkeep), .s_tlast(s_axis_tlast),
    .rd_x(rd_x), .rd_free(rd_free), .frame_next(frame_next),
    .rd_data(rd_data), .n_arr(n_arr), .eof(eof));

  // The parse result. (The verilator comments let the Verilator testbench
  // compare the parser's decision with the model's PacketInfo as well as
  // the vector; they change nothing in synthesis.)
  wire         pi_valid       /* verilator public_flat_rd */;
  wire         pi_ready       /* verilator public_flat_rd */;
  wire         pi_drop        /* verilator public_flat_rd */;
  wire         pi_tunnel      /* verilator public_flat_rd */;
  wire         pi_is_fragment /* verilator public_flat_rd */;
  wire         pi_frag_outer  /* verilator public_flat_rd */;
  wire         pi_has_ports   /* verilator public_flat_rd */;
  wire [7:0]   pi_ip_version  /* verilator public_flat_rd */;
  wire [7:0]   pi_protocol    /* verilator public_flat_rd */;
  wire [31:0]  pi_outer_src4  /* verilator public_flat_rd */;
  wire [31:0]  pi_outer_dst4  /* verilator public_flat_rd */;
  wire [127:0] pi_src         /* verilator public_flat_rd */;
  wire [127:0] pi_dst         /* verilator public_flat_rd */;
  wire [15:0]  pi_sport       /* verilator public_flat_rd */;
  wire [15:0]  pi_dport       /* verilator public_flat_rd */;

  tp_parser #(
    .NPORTS(NPORTS), .EXT_SET(EXT_SET), .ATOMIC_FRAG_IS_FRAG(ATOMIC_FRAG_IS_FRAG),
    .L4_CUT_DROPS(L4_CUT_DROPS), .L4_BAD_DROPS(L4_BAD_DROPS), .EXT_CUT_DROPS(EXT_CUT_DROPS),
    .TEREDO_CONTENT(TEREDO_CONTENT), .TEREDO_TRAILERS(TEREDO_TRAILERS)
  ) u_parser (
    .clk(clk), .rst(rst),
    .rd_x(rd_x), .rd_free(rd_free), .frame_next(frame_next),
    .rd_data(rd_data), .n_arr(n_arr), .eof(eof),
    .cfg_teredo_ports(cfg_teredo_ports), .cfg_teredo_port_en(cfg_teredo_port_en),
    .cfg_teredo_any_port(cfg_teredo_any_port),
    .pi_valid(pi_valid), .pi_ready(pi_ready),
    .pi_drop(pi_drop), .pi_ip_version(pi_ip_version), .pi_tunnel(pi_tunnel),
    .pi_is_fragment(pi_is_fragment), .pi_frag_outer(pi_frag_outer),
    .pi_outer_src4(pi_outer_src4), .pi_outer_dst4(pi_outer_dst4),
    .pi_src(pi_src), .pi_dst(pi_dst), .pi_protocol(pi_protocol),
    .pi_has_ports(pi_has_ports), .pi_sport(pi_sport), .pi_dport(pi_dport));

  wire [319:0] fv;
  wire         fv_valid, fv_ready;
  tp_fv_build u_fv (
    .clk(clk), .rst(rst),
    .in_valid(pi_valid), .in_ready(pi_ready), .out_valid(fv_valid), .out_ready(fv_ready),
    .drop(pi_drop), .ip_version(pi_ip_version), .tunnel(pi_tunnel),
    .is_fragment(pi_is_fragment), .frag_outer(pi_frag_outer),
    .outer_src4(pi_outer_src4), .outer_dst4(pi_outer_dst4),
    .src(pi_src), .dst(pi_dst), .protocol(pi_protocol),
    .has_ports(pi_has_ports), .sport(pi_sport), .dport(pi_dport),
    .fv(fv));

  tp_crc32c #(.WORDS(5)) u_crc (
    .clk(clk), .rst(rst),
    .in_valid(fv_valid), .in_ready(fv_ready), .in_data(fv),
    .out_valid(m_valid), .out_ready(m_ready), .out_crc(m_hash), .data(m_fv));

  // Byte 37 of the vector is ip_version.
  assign m_ip = m_fv[303:296] != 8'd0;

  tp_channel #(.NUM_CHANNELS(NUM_CHANNELS)) u_channel (
    .hash(m_hash), .ip(m_ip), .channel(m_channel));

endmodule

`default_nettype wire
