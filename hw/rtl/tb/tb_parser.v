// Testbench of tp_window + tp_parser: for every golden frame the parser's
// decision (dropped or not; IP version, tunnel, fragment, outer fragment,
// outer IPv4 pair, addresses, protocol, ports) is compared with the model's
// PacketInfo as tp-rtl-golden normalizes it (a dropped frame: only `drop`
// counts). Input gaps and a stalling consumer at random.
`timescale 1ns / 1ps
`default_nettype none
`include "tp_params.vh"
// The parser's rule set: the one the tree's decoder follows (meson passes
// TB_ISSUE10 after the parser change of issue 10).
`ifdef TB_ISSUE10
`define TB_RULES `TP_RULES_ISSUE10
`else
`define TB_RULES `TP_RULES_CURRENT
`endif

module tb_parser;
  reg clk = 1'b0;
  reg rst = 1'b1;
  always #5 clk = ~clk;
  integer seed = 11;

  reg         s_tvalid = 1'b0;
  wire        s_tready;
  reg  [63:0] s_tdata = 64'd0;
  reg  [7:0]  s_tkeep = 8'd0;
  reg         s_tlast = 1'b0;
  reg [127:0] cfg_ports = 128'd0;
  reg [7:0]   cfg_en = 8'd0;
  reg         cfg_any = 1'b0;

  `include "tb_golden.vh"
  `include "tb_stream.vh"

  wire [16:0]  rd_x, n_arr;
  wire         rd_free, frame_next, eof;
  wire [63:0]  rd_data;
  wire         pi_valid;
  reg          pi_ready = 1'b0;
  wire         pi_drop, pi_tunnel, pi_frag, pi_fout, pi_hp;
  wire [7:0]   pi_ver, pi_proto;
  wire [31:0]  pi_os4, pi_od4;
  wire [127:0] pi_src, pi_dst;
  wire [15:0]  pi_sp, pi_dp;

  tp_window u_window (
    .clk(clk), .rst(rst), .s_tvalid(s_tvalid), .s_tready(s_tready), .s_tdata(s_tdata), .s_tkeep(s_tkeep),
    .s_tlast(s_tlast), .rd_x(rd_x), .rd_free(rd_free), .frame_next(frame_next), .rd_data(rd_data),
    .n_arr(n_arr), .eof(eof));
  tp_parser #(`TB_RULES) u_parser (
    .clk(clk), .rst(rst), .rd_x(rd_x), .rd_free(rd_free), .frame_next(frame_next), .rd_data(rd_data),
    .n_arr(n_arr), .eof(eof), .cfg_teredo_ports(cfg_ports), .cfg_teredo_port_en(cfg_en),
    .cfg_teredo_any_port(cfg_any), .pi_valid(pi_valid), .pi_ready(pi_ready), .pi_drop(pi_drop),
    .pi_ip_version(pi_ver), .pi_tunnel(pi_tunnel), .pi_is_fragment(pi_frag), .pi_frag_outer(pi_fout),
    .pi_outer_src4(pi_os4), .pi_outer_dst4(pi_od4), .pi_src(pi_src), .pi_dst(pi_dst), .pi_protocol(pi_proto),
    .pi_has_ports(pi_hp), .pi_sport(pi_sp), .pi_dport(pi_dp));

  // The model's answers, in frame order; what the parser decided, packed the
  // same way.
  localparam integer W = 1 + 8 + 3 + 64 + 256 + 8 + 1 + 32;
  reg [W-1:0] q [0:15];
  integer     q_no [0:15];
  integer     head = 0, tail = 0, errors = 0, results = 0, quiet = 0, drops = 0, tunnels = 0;
  wire [W-1:0] got = pi_drop ? {1'b1, {(W-1){1'b0}}} :
                     {1'b0, pi_ver, pi_tunnel, pi_frag, pi_fout, pi_os4, pi_od4, pi_src, pi_dst, pi_proto, pi_hp,
                      pi_sp, pi_dp};

  always @(posedge clk) begin
    pi_ready <= ($random(seed) & 3) != 0;
    if (!rst && pi_valid && pi_ready) begin
      if (head == tail) begin
        $display("RESULT: FAIL a parse result with no frame");
        $finish;
      end
      if (got !== q[head % 16]) begin
        errors = errors + 1;
        if (errors <= 10)
          $display("MISMATCH frame %0d:\n  rtl   %h\n  model %h", q_no[head % 16], got, q[head % 16]);
      end
      if (pi_drop) drops = drops + 1;
      if (!pi_drop && pi_tunnel) tunnels = tunnels + 1;
      results = results + 1;
      head = head + 1;
    end
    quiet = ((s_tvalid && s_tready) || (pi_valid && pi_ready)) ? 0 : quiet + 1;
    if (quiet > 4096) begin
      $display("RESULT: FAIL hang (%0d results of %0d frames)", results, tail);
      $finish;
    end
  end

  integer kind;
  initial begin
    g_open;
    repeat (4) @(posedge clk);
    rst <= 1'b0;
    kind = 1;
    while (kind != 0) begin
      g_next(kind);
      if (kind == 1) begin
        wait (head == tail);
        @(posedge clk);
        cfg_ports <= g_ports;
        cfg_en <= g_port_en;
        cfg_any <= g_any != 0;
        @(posedge clk);
      end else if (kind == 2) begin
        wait (tail - head < 15);
        q[tail % 16] = e_drop ? {1'b1, {(W-1){1'b0}}} :
                       {1'b0, e_ver[7:0], e_tun[0], e_frag[0], e_fout[0], e_os4, e_od4, e_src, e_dst, e_proto,
                        e_hp[0], e_sp, e_dp};
        q_no[tail % 16] = g_frames - 1;
        tail = tail + 1;
        send_frame(1);
      end
    end
    wait (head == tail);
    $display("tp_parser: %0d frames, %0d results (%0d dropped, %0d tunnels), %0d mismatches", g_frames, results,
             drops, tunnels, errors);
    if (errors == 0 && results == g_frames && drops > 0 && tunnels > 0) $display("RESULT: PASS");
    else $display("RESULT: FAIL");
    $finish;
  end
endmodule

`default_nettype wire
