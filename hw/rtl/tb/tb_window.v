// Testbench of tp_window: every golden frame streamed in (with gaps), read
// back by a reader that walks the frame in random steps of 1 to 8 bytes,
// as the parser does, and checks each byte it reads against the frame:
// every byte of every frame is read at least once, and a read never finds
// a byte the window has already dropped. The reader also stops at random
// (holding its offset), and once done waits a random time before handing
// the frame off. n_arr must end at the frame length with eof set.
`timescale 1ns / 1ps
`default_nettype none
`ifndef TB_BEATS
`define TB_BEATS 4
`endif

module tb_window;
  reg clk = 1'b0;
  reg rst = 1'b1;
  always #5 clk = ~clk;
  integer seed = 13;

  reg         s_tvalid = 1'b0;
  wire        s_tready;
  reg  [63:0] s_tdata = 64'd0;
  reg  [7:0]  s_tkeep = 8'd0;
  reg         s_tlast = 1'b0;

  `include "tb_golden.vh"
  `include "tb_stream.vh"

  reg  [16:0] rd_x = 17'd0;
  reg         rd_free = 1'b0;
  reg         frame_next = 1'b0;
  wire [63:0] rd_data;
  wire [16:0] n_arr;
  wire        eof;

  tp_window #(.BEATS(`TB_BEATS)) dut (
    .clk(clk), .rst(rst), .s_tvalid(s_tvalid), .s_tready(s_tready), .s_tdata(s_tdata), .s_tkeep(s_tkeep),
    .s_tlast(s_tlast), .rd_x(rd_x), .rd_free(rd_free), .frame_next(frame_next), .rd_data(rd_data),
    .n_arr(n_arr), .eof(eof));

  // The reader, one frame at a time: the frame is g_frame while send_frame
  // runs, so the reader starts with the frame and finishes before the
  // next is read from the file.
  integer errors = 0, bytes_read = 0, bytes_total = 0, frames = 0, quiet = 0, k, avail, step, got_frame = 0;
  reg     reading = 1'b0;
  always @(posedge clk) begin
    frame_next <= 1'b0;
    if (reading && !rd_free) begin
      // What the window holds for the reader now: up to 8 bytes at rd_x.
      avail = n_arr - rd_x;
      if (avail > 8) avail = 8;
      if (avail == 8 || (eof && avail > 0)) begin
        for (k = 0; k < avail; k = k + 1)
          if (rd_data[8*k +: 8] !== g_frame[rd_x + k]) begin
            errors = errors + 1;
            if (errors <= 10) $display("MISMATCH frame %0d byte %0d: %h, frame %h", g_frames - 1, rd_x + k,
                                       rd_data[8*k +: 8], g_frame[rd_x + k]);
          end
        if (($random(seed) & 3) != 0) begin
          step = avail < 8 ? avail : 1 + ({$random(seed)} % 8);
          bytes_read = bytes_read + step;
          rd_x <= rd_x + step;
          if (rd_x + step >= g_len) rd_free <= 1'b1;
        end
      end else if (eof && avail <= 0) rd_free <= 1'b1;
    end
    if (reading && rd_free && eof && !frame_next && ($random(seed) & 1)) begin
      if (n_arr !== g_len) begin
        errors = errors + 1;
        $display("MISMATCH frame %0d: n_arr %0d, length %0d", g_frames - 1, n_arr, g_len);
      end
      frame_next <= 1'b1;
      reading <= 1'b0;
      rd_free <= 1'b0;
      rd_x <= 17'd0;
      frames = frames + 1;
    end
    quiet = (s_tvalid && s_tready) || frame_next ? 0 : quiet + 1;
    if (quiet > 4096) begin
      $display("RESULT: FAIL hang at frame %0d (rd_x %0d, n_arr %0d, eof %0d)", g_frames - 1, rd_x, n_arr, eof);
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
      if (kind == 2 && g_len > 0 && g_len <= 200) begin
        bytes_total = bytes_total + g_len;
        reading <= 1'b1;
        got_frame = got_frame + 1;
        send_frame(1);
        wait (!reading);
        @(posedge clk);
      end
    end
    $display("tp_window (BEATS %0d): %0d frames, %0d bytes, %0d read, %0d mismatches", `TB_BEATS, frames,
             bytes_total, bytes_read, errors);
    if (errors == 0 && frames == got_frame && frames > 0 && bytes_read >= bytes_total) $display("RESULT: PASS");
    else $display("RESULT: FAIL");
    $finish;
  end
endmodule

`default_nettype wire
