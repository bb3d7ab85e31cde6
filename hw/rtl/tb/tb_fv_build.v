// Testbench of tp_fv_build: every parse result of the golden file (the
// PacketInfo fields of the model, normalized as tp-rtl-golden writes them)
// in, the model's field vector (build_field_vector) out, bit for bit; the
// output stalls at random to exercise the hand-shake.
`timescale 1ns / 1ps
`default_nettype none

module tb_fv_build;
  reg clk = 1'b0;
  reg rst = 1'b1;
  always #5 clk = ~clk;
  integer seed = 3;
  `include "tb_golden.vh"

  reg          in_valid = 1'b0;
  wire         in_ready, out_valid;
  reg          out_ready = 1'b0;
  reg          drop = 1'b0, tunnel = 1'b0, frag = 1'b0, fout = 1'b0, hp = 1'b0;
  reg [7:0]    ver = 8'd0, proto = 8'd0;
  reg [31:0]   os4 = 32'd0, od4 = 32'd0;
  reg [127:0]  src = 128'd0, dst = 128'd0;
  reg [15:0]   sp = 16'd0, dp = 16'd0;
  wire [319:0] fv;

  tp_fv_build dut (
    .clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(in_ready), .out_valid(out_valid), .out_ready(out_ready),
    .drop(drop), .ip_version(ver), .tunnel(tunnel), .is_fragment(frag), .frag_outer(fout),
    .outer_src4(os4), .outer_dst4(od4), .src(src), .dst(dst), .protocol(proto),
    .has_ports(hp), .sport(sp), .dport(dp), .fv(fv));

  integer kind, errors = 0, checked = 0, swapped = 0;
  reg [319:0] want;
  initial begin
    g_open;
    repeat (2) @(posedge clk);
    rst <= 1'b0;
    kind = 1;
    while (kind != 0) begin
      g_next(kind);
      if (kind == 2) begin
        drop <= e_drop != 0;
        ver <= e_ver;
        tunnel <= e_tun != 0;
        frag <= e_frag != 0;
        fout <= e_fout != 0;
        os4 <= e_os4;
        od4 <= e_od4;
        src <= e_src;
        dst <= e_dst;
        proto <= e_proto;
        hp <= e_hp != 0;
        sp <= e_sp;
        dp <= e_dp;
        want = e_fv;
        in_valid <= 1'b1;
        @(posedge clk);
        while (!in_ready) @(posedge clk);
        in_valid <= 1'b0;
        // The vector, when the stage offers it and the (random) sink takes it.
        out_ready <= ($random(seed) & 1) != 0;
        @(posedge clk);
        while (!(out_valid && out_ready)) begin
          out_ready <= ($random(seed) & 1) != 0;
          @(posedge clk);
        end
        if (fv !== want) begin
          errors = errors + 1;
          if (errors <= 10) $display("MISMATCH frame %0d: fv %h, model %h", g_frames - 1, fv, want);
        end
        // The model swaps the endpoints for this frame: the source is not the lower.
        if (want[127:0] != 128'd0 && want[7:0] != src[127:120]) swapped = swapped + 1;
        checked = checked + 1;
        out_ready <= 1'b0;
      end
    end
    $display("tp_fv_build: %0d vectors, %0d mismatches (%0d with the endpoints swapped)", checked, errors, swapped);
    if (errors == 0 && checked > 0 && swapped > 0) $display("RESULT: PASS");
    else $display("RESULT: FAIL");
    $finish;
  end
endmodule

`default_nettype wire
