// Testbench of the parser's small tables against the RFCs' lists:
//   tp_ext_kind    every next header 0..255 under the set before and the
//                  set since the parser change of issue 10 (RFC 8200 section 4; RFC 7045
//                  section 4: the IANA extension header registry);
//   tp_teredo_addr the Teredo prefix 2001:0::/32 (RFC 4380 section 4) and
//                  the three link-local addresses of RFC 4380 5.2.1, with
//                  near misses;
//   tp_port_match  the configured port slots, enabled and not.
`timescale 1ns / 1ps
`default_nettype none
`include "tp_params.vh"

module tb_tables;
  reg  [7:0] nh = 8'd0;
  wire [1:0] kind_now, kind_new;
  tp_ext_kind #(.SET(`TP_EXT_CURRENT)) u_now (.nh(nh), .kind(kind_now));
  tp_ext_kind #(.SET(`TP_EXT_ISSUE10)) u_new (.nh(nh), .kind(kind_new));

  reg  [127:0] a = 128'd0;
  wire teredo, ll;
  tp_teredo_addr u_t (.a(a), .teredo(teredo), .link_local(ll));

  reg  [127:0] ports = {16'd0, 16'd0, 16'd0, 16'd0, 16'd0, 16'd9, 16'd3545, 16'd3544};
  reg  [7:0]   en = 8'b0000_0011;
  reg  [15:0]  port = 16'd0;
  wire         match;
  tp_port_match #(.NPORTS(8)) u_p (.ports(ports), .enable(en), .port(port), .match(match));

  integer errors = 0, n, want_now, want_new;

  task expect_addr;
    input [127:0] addr;
    input want_t, want_ll;
    begin
      a = addr;
      #1;
      if (teredo !== want_t || ll !== want_ll) begin
        errors = errors + 1;
        $display("MISMATCH address %h: teredo %b link-local %b, want %b %b", addr, teredo, ll, want_t, want_ll);
      end
    end
  endtask

  task expect_port;
    input [15:0] p;
    input want;
    begin
      port = p;
      #1;
      if (match !== want) begin
        errors = errors + 1;
        $display("MISMATCH port %0d: %b, want %b", p, match, want);
      end
    end
  endtask

  initial begin
    for (n = 0; n < 256; n = n + 1) begin
      nh = n;
      #1;
      // kind: 0 not walked, 1 (len + 1) * 8, 2 AH, 3 Fragment.
      case (n)
        0, 43, 60: want_now = 1;    // hop-by-hop, routing, destination options (RFC 8200 4.3, 4.4, 4.6)
        44:        want_now = 3;    // Fragment (RFC 8200 4.5)
        51:        want_now = 2;    // AH (RFC 4302)
        default:   want_now = 0;    // ESP 50 included: it ends the walk
      endcase
      case (n)
        135, 139, 140, 253, 254: want_new = 1;  // Mobility, HIP, Shim6, experimental (RFC 6275, 7401, 5533, 3692)
        default: want_new = want_now;
      endcase
      if (kind_now !== want_now || kind_new !== want_new) begin
        errors = errors + 1;
        $display("MISMATCH next header %0d: kind %0d / %0d, want %0d / %0d", n, kind_now, kind_new, want_now, want_new);
      end
    end
    expect_addr(128'h20010000_c6336401_800063bf_34ff8ed2, 1, 0);  // a Teredo address
    expect_addr(128'h20010000_00000000_00000000_00000000, 1, 0);
    expect_addr(128'h20010db8_00000000_00000000_00000080, 0, 0);  // 2001:db8::/32 is not Teredo
    expect_addr(128'h20010001_00000000_00000000_00000000, 0, 0);
    expect_addr(128'hfe800000_00000000_8000ffff_fffffffd, 0, 1);  // cone client
    expect_addr(128'hfe800000_00000000_0000ffff_fffffffd, 0, 1);  // client
    expect_addr(128'hfe800000_00000000_80005445_5245444f, 0, 1);  // server, "TEREDO"
    expect_addr(128'hfe800000_00000000_8000ffff_fffffffe, 0, 0);
    expect_addr(128'hfe800000_00000001_8000ffff_fffffffd, 0, 0);
    expect_addr(128'hfe800000_00000000_00005445_5245444f, 0, 0);
    expect_port(16'd3544, 1);
    expect_port(16'd3545, 1);
    expect_port(16'd9, 0);      // slot 2 holds 9 but is not enabled
    expect_port(16'd0, 0);      // empty slots are not enabled either
    expect_port(16'd3546, 0);
    en = 8'b0000_0100;
    expect_port(16'd9, 1);
    expect_port(16'd3544, 0);
    $display("tables: 256 next headers x 2 sets, 10 addresses, 7 ports; %0d mismatches", errors);
    if (errors == 0) $display("RESULT: PASS");
    else $display("RESULT: FAIL");
    $finish;
  end
endmodule

`default_nettype wire
