// tp_synth_top: tp_dispatch as an FPGA top for the resource and timing
// figures (hw/rtl/synth.py). Everything a card needs is kept: the stream
// input, the channel and hash output, and the decoder configuration,
// which sits in registers written through a small port (as a NIC's
// control registers would be) so that synthesis cannot fold the Teredo
// port comparators into constants:
//   cfg_addr 0..7  Teredo port slot (cfg_data), slot enable set
//   cfg_addr 8     cfg_data[0] Teredo on any port; slot enables cleared
// Reset state: port 3544 in slot 0, the default of --teredo-ports.
// m_fv (320 bits) is internal here: a card takes the channel (and the hash,
// e.g. for its descriptor) and keeps the frame. RULES picks the parser's
// rule set (tp_params.vh): 1 (the default) the decoder since the parser
// change of issue 10, 0 the decoder before it.
`default_nettype none
`include "tp_params.vh"

module tp_synth_top #(
  parameter NUM_CHANNELS = 16,
  parameter RULES = 1
) (
  input  wire        clk,
  input  wire        rst,
  input  wire        s_axis_tvalid,
  output wire        s_axis_tready,
  input  wire [63:0] s_axis_tdata,
  input  wire [7:0]  s_axis_tkeep,
  input  wire        s_axis_tlast,
  input  wire        cfg_we,
  input  wire [3:0]  cfg_addr,
  input  wire [15:0] cfg_data,
  output wire        m_valid,
  input  wire        m_ready,
  output wire [5:0]  m_channel,
  output wire [31:0] m_hash,
  output wire        m_ip
);

  reg [127:0] ports;
  reg [7:0]   port_en;
  reg         any_port;

  always @(posedge clk) begin
    if (rst) begin
      ports <= {112'd0, 16'd3544};
      port_en <= 8'd1;
      any_port <= 1'b0;
    end else if (cfg_we) begin
      if (!cfg_addr[3]) begin
        ports[16*cfg_addr[2:0] +: 16] <= cfg_data;
        port_en[cfg_addr[2:0]] <= 1'b1;
      end else begin
        any_port <= cfg_data[0];
        port_en <= 8'd0;
      end
    end
  end

  /* verilator lint_off UNUSEDSIGNAL */
  wire [319:0] fv;
  /* verilator lint_on UNUSEDSIGNAL */

  // The rule set as tp_dispatch's parameters.
  localparam [255:0] EXT = RULES != 0 ? `TP_EXT_ISSUE10 : `TP_EXT_CURRENT;
  localparam integer OLD = RULES != 0 ? 0 : 1;
  localparam integer NEW = RULES != 0 ? 1 : 0;

  tp_dispatch #(
    .NUM_CHANNELS(NUM_CHANNELS), .EXT_SET(EXT), .ATOMIC_FRAG_IS_FRAG(OLD), .L4_CUT_DROPS(OLD),
    .L4_BAD_DROPS(OLD), .EXT_CUT_DROPS(OLD), .TEREDO_CONTENT(NEW), .TEREDO_TRAILERS(NEW)
  ) u_core (
    .clk(clk), .rst(rst),
    .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready), .s_axis_tdata(s_axis_tdata),
    .s_axis_tkeep(s_axis_tkeep), .s_axis_tlast(s_axis_tlast),
    .cfg_teredo_ports(ports), .cfg_teredo_port_en(port_en), .cfg_teredo_any_port(any_port),
    .m_valid(m_valid), .m_ready(m_ready), .m_channel(m_channel), .m_hash(m_hash), .m_ip(m_ip),
    .m_fv(fv));

endmodule

`default_nettype wire
