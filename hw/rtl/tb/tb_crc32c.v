// Testbench of the CRC-32C functions and of tp_crc32c:
//   1. the catalogue check value: CRC-32C("123456789") = 0xE3069283
//      (RFC 3720 B.4; reveng "CRC-32/ISCSI"), byte by byte;
//   2. the 64-bit step equals eight byte steps, on the first 1000 field
//      vectors of the golden file (slow in Icarus; the engine, built from
//      the 64-bit step, meets every vector in 3);
//   3. the engine: every field vector of the golden file in, the model's
//      CRC (field_vector_hash, DPDK's rte_hash_crc) out, with the output
//      stalled at random.
`timescale 1ns / 1ps
`default_nettype none

module tb_crc32c;
  reg clk = 1'b0;
  reg rst = 1'b1;
  always #5 clk = ~clk;
  integer seed = 5;
  `include "tb_golden.vh"
  `include "tp_crc32c.vh"

  reg          in_valid = 1'b0;
  wire         in_ready, out_valid;
  reg          out_ready = 1'b0;
  reg  [319:0] in_data = 320'd0;
  wire [31:0]  out_crc;
  wire [319:0] data;

  tp_crc32c #(.WORDS(5)) dut (
    .clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(in_ready), .in_data(in_data),
    .out_valid(out_valid), .out_ready(out_ready), .out_crc(out_crc), .data(data));

  integer kind, errors = 0, checked = 0, i;
  reg [31:0] c, cb;
  reg [71:0] check;
  initial begin
    // 1. "123456789", first byte first.
    check = "123456789";
    c = 32'hFFFFFFFF;
    for (i = 8; i >= 0; i = i - 1) c = crc32c_byte(c, check[8*i +: 8]);
    if (~c !== 32'hE3069283) begin
      $display("MISMATCH check value: %h, want e3069283", ~c);
      errors = errors + 1;
    end
    g_open;
    repeat (2) @(posedge clk);
    rst <= 1'b0;
    kind = 1;
    while (kind != 0) begin
      g_next(kind);
      if (kind == 2) begin
        // 2. word step vs byte steps.
        if (checked < 1000) begin
          c = 32'hFFFFFFFF;
          cb = 32'hFFFFFFFF;
          for (i = 0; i < 5; i = i + 1) c = crc32c_word(c, e_fv[64*i +: 64]);
          for (i = 0; i < 40; i = i + 1) cb = crc32c_byte(cb, e_fv[8*i +: 8]);
          if (~c !== e_crc || ~cb !== e_crc) begin
            errors = errors + 1;
            if (errors <= 10) $display("MISMATCH functions, frame %0d: word %h byte %h model %h", g_frames - 1, ~c, ~cb, e_crc);
          end
        end
        // 3. the engine.
        in_data <= e_fv;
        in_valid <= 1'b1;
        @(posedge clk);
        while (!in_ready) @(posedge clk);
        in_valid <= 1'b0;
        out_ready <= ($random(seed) & 1) != 0;
        @(posedge clk);
        while (!(out_valid && out_ready)) begin
          out_ready <= ($random(seed) & 1) != 0;
          @(posedge clk);
        end
        if (out_crc !== e_crc || data !== e_fv) begin
          errors = errors + 1;
          if (errors <= 10) $display("MISMATCH engine, frame %0d: %h, model %h", g_frames - 1, out_crc, e_crc);
        end
        out_ready <= 1'b0;
        checked = checked + 1;
      end
    end
    $display("tp_crc32c: check value and %0d vectors, %0d mismatches", checked, errors);
    if (errors == 0 && checked > 0) $display("RESULT: PASS");
    else $display("RESULT: FAIL");
    $finish;
  end
endmodule

`default_nettype wire
