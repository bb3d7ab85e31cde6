// Drives one frame from g_frame[0..g_len-1] into an AXI4-Stream slave
// (s_tvalid/s_tready/s_tdata/s_tkeep/s_tlast regs and wires of the
// including testbench), 8 bytes a beat, byte i on lane i. gaps != 0: the
// source idles one cycle in four at random (seed `seed`).
task send_frame;
  input integer gaps;
  integer nb, b, k;
  reg go;
  begin
    nb = (g_len + 7) / 8;
    if (nb == 0) nb = 1;
    b = 0;
    while (b < nb) begin
      go = gaps == 0 || ($random(seed) & 3) != 0;
      for (k = 0; k < 8; k = k + 1) begin
        s_tdata[8*k +: 8] <= (8*b + k < g_len) ? g_frame[8*b + k] : 8'h00;
        s_tkeep[k] <= 8*b + k < g_len;
      end
      s_tlast <= b == nb - 1;
      s_tvalid <= go;
      @(posedge clk);
      if (go && s_tready) b = b + 1;
    end
    s_tvalid <= 1'b0;
  end
endtask
