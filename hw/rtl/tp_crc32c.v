// tp_crc32c: CRC-32C over the 320-bit field vector, 64 bits per cycle.
//
// The CRC of hw/crc_dispatch.hpp ("CRC" section): CRC-32C (Castagnoli,
// RFC 3720 B.4, "CRC-32/ISCSI" in the reveng catalogue): reflected
// polynomial 0x82F63B78, init 0xFFFFFFFF, refin = refout, xorout
// 0xFFFFFFFF. The vector is consumed in stream order: bit b of the bus is
// bit (b mod 8) of byte b/8, bytes in increasing offset, each byte least
// significant bit first, which is exactly bit 0, 1, 2, ... of the bus. The
// vector is five 64-bit words (the two reserved bytes pad it to 40), so the
// engine takes five cycles per vector.
//
// Interface: in_valid/in_ready load a vector (held in `data`, which is also
// the field vector output of the core while out_valid); out_valid/out_ready
// hand over the CRC. A new vector is taken only after the previous result
// was taken: one vector per WORDS + 1 cycles at most.
//
// Latency: in accepted at cycle t -> out_valid at t + WORDS.
`default_nettype none

module tp_crc32c #(
  parameter WORDS = 5
) (
  input  wire                  clk,
  input  wire                  rst,
  input  wire                  in_valid,
  output wire                  in_ready,
  input  wire [64*WORDS-1:0]   in_data,
  output reg                   out_valid,
  input  wire                  out_ready,
  output wire [31:0]           out_crc,
  output reg  [64*WORDS-1:0]   data
);

  `include "tp_crc32c.vh"

  // Counts the words still to go; 0 when idle or done.
  reg [3:0]  left;
  reg [31:0] crc;
  // The word that goes in this cycle.
  wire [3:0]  idx = WORDS[3:0] - left;
  wire [63:0] word = data[64*idx +: 64];

  // One 64-bit step. The CRC step is linear over GF(2) (no constant enters
  // it; init and xorout are applied outside), so each bit of the next
  // register is the XOR of a fixed subset of the 32 register bits and the
  // 64 data bits. The subsets are computed at elaboration from the bitwise
  // definition (crc32c_word on unit vectors), and each bit is written as a
  // reduction XOR, which synthesis builds as a balanced tree: the unrolled
  // loop itself came out as a chain some twenty LUTs deep on an iCE40.
  function [95:0] step_row;
    input [4:0] bit_i;
    integer j;
    reg [31:0] r;
    begin
      for (j = 0; j < 32; j = j + 1) begin
        r = crc32c_word(32'd1 << j, 64'd0);
        step_row[j] = r[bit_i];
      end
      for (j = 0; j < 64; j = j + 1) begin
        r = crc32c_word(32'd0, 64'd1 << j);
        step_row[32 + j] = r[bit_i];
      end
    end
  endfunction

  wire [31:0] step;
  genvar b;
  generate
    for (b = 0; b < 32; b = b + 1) begin : xor_row
      localparam [95:0] ROW = step_row(b[4:0]);
      assign step[b] = ^(ROW & {word, crc});
    end
  endgenerate

  assign in_ready = left == 0 && (!out_valid || out_ready);
  assign out_crc = ~crc;

  always @(posedge clk) begin
    if (rst) begin
      left <= 4'd0;
      out_valid <= 1'b0;
      crc <= 32'hFFFFFFFF;
    end else begin
      if (out_valid && out_ready) out_valid <= 1'b0;
      if (in_valid && in_ready) begin
        data <= in_data;
        left <= WORDS[3:0];
        crc <= 32'hFFFFFFFF;
      end else if (left != 0) begin
        crc <= step;
        left <= left - 4'd1;
        if (left == 4'd1) out_valid <= 1'b1;
      end
    end
  end

endmodule

`default_nettype wire
