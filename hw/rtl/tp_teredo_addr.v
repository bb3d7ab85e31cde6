`default_nettype none

// tp_teredo_addr: the address tests of Teredo detection.
//   teredo      2001:0::/32, the Teredo prefix (RFC 4380 section 4);
//   link_local  the qualification procedure's link-local addresses (RFC
//               4380 5.2.1): fe80::8000:ffff:ffff:fffd (cone),
//               fe80::ffff:ffff:fffd, fe80::8000:5445:5245:444f ("TEREDO");
//               used only by the content detection of the parser change.
module tp_teredo_addr (
  input  wire [127:0] a,        // first address byte in bits 127:120
  output wire         teredo,
  output wire         link_local
);
  assign teredo = a[127:96] == 32'h20010000;
  assign link_local = a[127:64] == 64'hfe80000000000000 &&
                      (a[63:0] == 64'h8000fffffffffffd || a[63:0] == 64'h0000fffffffffffd ||
                       a[63:0] == 64'h800054455245444f);
endmodule

`default_nettype wire
