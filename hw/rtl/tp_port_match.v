`default_nettype none

// tp_port_match: is a UDP port one of the configured Teredo ports
// (DecodeConfig::is_teredo_port; --teredo-ports, default 3544)?
module tp_port_match #(
  parameter NPORTS = 8
) (
  input  wire [16*NPORTS-1:0] ports,
  input  wire [NPORTS-1:0]    enable,
  input  wire [15:0]          port,
  output wire                 match
);
  wire [NPORTS-1:0] hit;
  genvar i;
  generate
    for (i = 0; i < NPORTS; i = i + 1) begin : cmp
      assign hit[i] = enable[i] && ports[16*i +: 16] == port;
    end
  endgenerate
  assign match = |hit;
endmodule

`default_nettype wire
