// tp_window: the frame input stage: an AXI4-Stream slave and a window of
// the last BEATS beats of the current frame, read 8 bytes at a time at any
// offset.
//
// Stream: tdata byte lane i (tdata[8i+7:8i]) is frame byte 8*beat + i;
// every beat but the last is full; the last beat's tkeep is contiguous from
// lane 0 (a packed stream, AXI4-Stream "continuous aligned"); tlast ends
// the frame, and the next beat starts the next one (AXI4-Stream framing:
// a shell's start-of-frame flag is implied, not needed). A last beat with
// tkeep = 0 adds no byte (a frame may be empty). tkeep of other beats is
// not looked at.
//
// The window is a circular buffer of BEATS beats (a power of two) indexed
// by the low bits of the byte offset: beat j lives in slot j mod BEATS, so
// the byte at frame offset a is buf[a mod 8*BEATS] while it is among the
// last 8*BEATS received, and a read at offset x is a rotation by x, with no
// subtraction. A beat is taken only when the parser no longer needs the
// oldest slot: its read offset is at most 8*BEATS - 8 bytes behind the end
// received (rd_x + 8*BEATS - 8 >= n_arr), or it needs nothing more of the
// frame (rd_free). So the input runs up to BEATS - 1 beats ahead of the
// parser: with BEATS = 2 every header read that straddles a beat stalls
// the input, with 4 a frame whose header pieces are 8 bytes streams
// without a stall (README "Hardware", throughput). Each frame is held until
// the parser hands it off (frame_next); the next frame's first beat is
// taken in that same cycle, so back-to-back frames lose no cycle here.
//
// n_arr counts the frame's bytes received so far; once eof is set it is
// the frame length. It saturates at 2^17 - 8: no header the parser reads
// lies that deep (the deepest is under 17 KiB), so longer frames parse the
// same.
`default_nettype none

module tp_window #(
  parameter BEATS = 4  // 2 or 4
) (
  input  wire        clk,
  input  wire        rst,
  // AXI4-Stream slave
  input  wire        s_tvalid,
  output wire        s_tready,
  input  wire [63:0] s_tdata,
  input  wire [7:0]  s_tkeep,
  input  wire        s_tlast,
  // parser side
  input  wire [16:0] rd_x,
  input  wire        rd_free,
  input  wire        frame_next,
  output wire [63:0] rd_data,
  output reg  [16:0] n_arr,
  output reg         eof
);

  localparam integer BYTES = 8 * BEATS;
  localparam integer AW = BEATS == 4 ? 5 : 4;  // log2(BYTES)
  localparam integer AHEAD_I = BYTES - 8;
  localparam [16:0] AHEAD = AHEAD_I[16:0];

  reg [8*BYTES-1:0] buf_q;

  wire take_more = !eof && (rd_free || rd_x + AHEAD >= n_arr);
  assign s_tready = frame_next || take_more;
  wire take = s_tvalid && s_tready;

  // Bytes in this beat: 8, or the count of the last beat's keep lanes.
  wire [3:0] keep_n = {3'b0, s_tkeep[0]} + {3'b0, s_tkeep[1]} + {3'b0, s_tkeep[2]} + {3'b0, s_tkeep[3]}
                    + {3'b0, s_tkeep[4]} + {3'b0, s_tkeep[5]} + {3'b0, s_tkeep[6]} + {3'b0, s_tkeep[7]};
  wire [3:0] beat_n = s_tlast ? keep_n : 4'd8;

  // Where the beat goes: the next beat of this frame, or beat 0 of the
  // next frame.
  wire [16:0] base = frame_next ? 17'd0 : n_arr;
  wire [16:0] sum = base + {13'd0, beat_n};
  localparam [16:0] SAT = 17'h1FFF8;

  always @(posedge clk) begin
    if (rst) begin
      n_arr <= 17'd0;
      eof <= 1'b0;
    end else if (take) begin
      buf_q[64*base[AW-1:3] +: 64] <= s_tdata;
      n_arr <= (base >= SAT) ? SAT : sum;
      eof <= s_tlast;
    end else if (frame_next) begin
      n_arr <= 17'd0;
      eof <= 1'b0;
    end
  end

  // Byte i of the read: buf[(rd_x + i) mod BYTES].
  wire [16*BYTES-1:0] twice = {buf_q, buf_q};
  assign rd_data = twice[{1'b0, rd_x[AW-1:0], 3'b000} +: 64];

endmodule

`default_nettype wire
