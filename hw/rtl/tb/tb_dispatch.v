// Icarus Verilog testbench of the whole core (tp_dispatch): every frame of
// the golden file, the field vector, CRC and channel compared with the C++
// model; the second simulator beside the Verilator testbench
// (tb_dispatch.cpp). Input gaps and output stalls at random (GAPS = 1).
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

module tb_dispatch;
  parameter NUM_CHANNELS = 16;
  parameter GAPS = 1;

  reg clk = 1'b0;
  reg rst = 1'b1;
  always #5 clk = ~clk;

  reg         s_tvalid = 1'b0;
  wire        s_tready;
  reg  [63:0] s_tdata = 64'd0;
  reg  [7:0]  s_tkeep = 8'd0;
  reg         s_tlast = 1'b0;
  reg [127:0] cfg_ports = 128'd0;
  reg [7:0]   cfg_en = 8'd0;
  reg         cfg_any = 1'b0;
  wire        m_valid;
  reg         m_ready = 1'b0;
  wire [5:0]  m_channel;
  wire [31:0] m_hash;
  wire        m_ip;
  wire [319:0] m_fv;
  integer     seed = 7;

  `include "tb_golden.vh"
  `include "tb_stream.vh"

  tp_dispatch #(.NUM_CHANNELS(NUM_CHANNELS), `TB_RULES) dut (
    .clk(clk), .rst(rst),
    .s_axis_tvalid(s_tvalid), .s_axis_tready(s_tready), .s_axis_tdata(s_tdata),
    .s_axis_tkeep(s_tkeep), .s_axis_tlast(s_tlast),
    .cfg_teredo_ports(cfg_ports), .cfg_teredo_port_en(cfg_en), .cfg_teredo_any_port(cfg_any),
    .m_valid(m_valid), .m_ready(m_ready), .m_channel(m_channel), .m_hash(m_hash), .m_ip(m_ip), .m_fv(m_fv));

  function integer log2i;
    input integer n;
    begin
      log2i = 0;
      while ((1 << log2i) < n) log2i = log2i + 1;
    end
  endfunction
  localparam integer LOG2N = log2i(NUM_CHANNELS);

  // Expected results, in frame order.
  reg [319:0] q_fv  [0:15];
  reg [31:0]  q_crc [0:15];
  integer     q_ch  [0:15];
  integer     q_no  [0:15];
  integer     head = 0, tail = 0, errors = 0, results = 0, quiet = 0;

  always @(posedge clk) begin
    m_ready <= GAPS ? (($random(seed) & 3) != 0) : 1'b1;
    if (!rst && m_valid && m_ready) begin
      if (head == tail) begin
        $display("RESULT: FAIL a result with no frame in the core");
        $finish;
      end
      if (m_fv !== q_fv[head % 16] || m_hash !== q_crc[head % 16] || m_channel !== q_ch[head % 16][5:0] ||
          m_ip !== (q_fv[head % 16][303:296] != 8'd0)) begin
        errors = errors + 1;
        if (errors <= 10)
          $display("MISMATCH frame %0d: fv %h hash %h ch %0d, model fv %h hash %h ch %0d", q_no[head % 16],
                   m_fv, m_hash, m_channel, q_fv[head % 16], q_crc[head % 16], q_ch[head % 16]);
      end
      results = results + 1;
      head = head + 1;
    end
    quiet = ((s_tvalid && s_tready) || (m_valid && m_ready)) ? 0 : quiet + 1;
    if (quiet > 4096) begin
      $display("RESULT: FAIL hang: nothing moved for 4096 cycles (%0d results of %0d frames)", results, tail);
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
        // Configuration changes only while the core is empty.
        wait (head == tail);
        @(posedge clk);
        cfg_ports <= g_ports;
        cfg_en <= g_port_en;
        cfg_any <= g_any != 0;
        @(posedge clk);
      end else if (kind == 2) begin
        wait (tail - head < 15);
        q_fv[tail % 16] = e_fv;
        q_crc[tail % 16] = e_crc;
        q_ch[tail % 16] = e_ch[LOG2N];
        q_no[tail % 16] = g_frames - 1;
        tail = tail + 1;
        send_frame(GAPS);
      end
    end
    wait (head == tail);
    $display("tp_dispatch (NUM_CHANNELS %0d): %0d frames, %0d results, %0d mismatches", NUM_CHANNELS, g_frames,
             results, errors);
    if (errors == 0 && results == g_frames && g_frames > 0) $display("RESULT: PASS");
    else $display("RESULT: FAIL");
    $finish;
  end
endmodule

`default_nettype wire
