// Testbench of tp_channel for every allowed channel count (1, 2, 4, ..., 64):
// the channel of each golden frame is the model's crc_dispatch(pkt, N),
// which sends dropped packets (ip_version 0) to channel 0.
`timescale 1ns / 1ps
`default_nettype none

module tb_channel;
  `include "tb_golden.vh"

  reg  [31:0] hash = 32'd0;
  reg         ip = 1'b0;
  wire [5:0]  ch [0:6];

  genvar k;
  generate
    for (k = 0; k < 7; k = k + 1) begin : n
      tp_channel #(.NUM_CHANNELS(1 << k)) u (.hash(hash), .ip(ip), .channel(ch[k]));
    end
  endgenerate

  integer kind, errors = 0, checked = 0, j, nonzero = 0;
  initial begin
    g_open;
    kind = 1;
    while (kind != 0) begin
      g_next(kind);
      if (kind == 2) begin
        hash = e_crc;
        ip = e_fv[303:296] != 8'd0;
        #1;
        for (j = 0; j < 7; j = j + 1) begin
          if (ch[j] !== e_ch[j]) begin
            errors = errors + 1;
            if (errors <= 10) $display("MISMATCH frame %0d, %0d channels: %0d, model %0d", g_frames - 1, 1 << j, ch[j], e_ch[j]);
          end
        end
        if (ch[6] != 0) nonzero = nonzero + 1;
        checked = checked + 1;
      end
    end
    $display("tp_channel: %0d frames x 7 channel counts, %0d mismatches", checked, errors);
    if (errors == 0 && checked > 0 && nonzero > 0) $display("RESULT: PASS");
    else $display("RESULT: FAIL");
    $finish;
  end
endmodule

`default_nettype wire
