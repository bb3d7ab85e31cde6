// tp_channel: the DMA channel of a frame, from its hash.
//
// hw/crc_dispatch.hpp, "CHANNEL": channel = hash & (N - 1), the low
// log2(N) bits of the final CRC, N a power of two from 1 to 64; a frame the
// parser dropped (field vector ip_version 0) goes to channel 0 whatever the
// CRC says. Any other N is refused at elaboration, as check_channel_count()
// refuses it in software (a modulo would need a divider and would differ
// from the software dispatcher).
`default_nettype none

module tp_channel #(
  parameter NUM_CHANNELS = 16
) (
  /* verilator lint_off UNUSEDSIGNAL */
  input  wire [31:0] hash,     // only the low 6 bits can matter
  /* verilator lint_on UNUSEDSIGNAL */
  input  wire        ip,       // the vector's ip_version byte is not 0
  output wire [5:0]  channel
);

  generate
    if (NUM_CHANNELS < 1 || NUM_CHANNELS > 64 || (NUM_CHANNELS & (NUM_CHANNELS - 1)) != 0) begin : bad
      // Elaboration stops here in every tool: no such module.
      tp_channel_NUM_CHANNELS_must_be_a_power_of_two_from_1_to_64 refuse();
    end
  endgenerate

  localparam integer MASK_I = NUM_CHANNELS - 1;
  localparam [5:0] MASK = MASK_I[5:0];
  assign channel = ip ? (hash[5:0] & MASK) : 6'd0;

endmodule

`default_nettype wire
