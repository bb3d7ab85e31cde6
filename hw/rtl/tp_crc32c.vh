// CRC-32C steps as functions (included into the modules that use them).
// The register is kept reflected (bit 0 = the x^31 coefficient), the
// usual form for a reflected CRC: each input bit is XORed into bit 0, the
// register shifts right, and the reflected polynomial 0x82F63B78 is XORed
// in when the bit that fell out was 1 (RFC 3720 B.4; Williams, "A painless
// guide to CRC error detection algorithms", section 11). Synthesis unrolls
// the loops into one XOR network per output bit.

function [31:0] crc32c_byte;
  input [31:0] c;
  input [7:0]  d;
  integer i;
  reg [31:0] r;
  begin
    r = c;
    for (i = 0; i < 8; i = i + 1)
      r = (r >> 1) ^ ((r[0] ^ d[i]) ? 32'h82F63B78 : 32'h0);
    crc32c_byte = r;
  end
endfunction

function [31:0] crc32c_word;
  input [31:0] c;
  input [63:0] d;
  integer i;
  reg [31:0] r;
  begin
    r = c;
    for (i = 0; i < 64; i = i + 1)
      r = (r >> 1) ^ ((r[0] ^ d[i]) ? 32'h82F63B78 : 32'h0);
    crc32c_word = r;
  end
endfunction
