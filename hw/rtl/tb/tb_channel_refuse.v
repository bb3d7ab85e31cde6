// tp_channel must refuse a channel count that is not a power of two from 1
// to 64 at elaboration (hw/crc_dispatch.hpp check_channel_count): this
// testbench must NOT compile (run_sim.py --expect-refusal).
`default_nettype none
module tb_channel_refuse;
  wire [5:0] ch;
  tp_channel #(.NUM_CHANNELS(`TB_NUM_CHANNELS)) u (.hash(32'd0), .ip(1'b0), .channel(ch));
endmodule
`default_nettype wire
