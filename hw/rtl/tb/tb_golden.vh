// Golden-file reader for the Verilog testbenches (included inside a
// testbench module). Format: hw/rtl/tb/golden.cpp. The file is named by
// the plusarg +golden=FILE.
//
//   g_open;            opens it (fails the run when it cannot)
//   g_next(kind);      reads the next record: 0 end of file, 1 a
//                      configuration (g_any, g_nports, g_ports, g_port_en),
//                      2 a frame (g_frame[0..g_len-1]) with the model's
//                      answer (e_*)
integer     g_fd;
integer     g_rc;
integer     g_len;
integer     g_i;
integer     g_frames;
reg [7:0]   g_frame [0:131071];
reg [7:0]   g_byte;
reg [8*8:1] g_tag;
reg [1023:0] g_path;
integer     g_any, g_nports;
integer     g_p [0:7];
reg [127:0] g_ports;
reg [7:0]   g_port_en;
// E record
integer     e_drop, e_ver, e_tun, e_frag, e_fout, e_hp;
reg [31:0]  e_os4, e_od4, e_crc;
reg [127:0] e_src, e_dst;
reg [7:0]   e_proto;
reg [15:0]  e_sp, e_dp;
reg [319:0] e_fv;
integer     e_ch [0:6];

task g_open;
  begin
    if (!$value$plusargs("golden=%s", g_path)) begin
      $display("RESULT: FAIL no +golden=FILE");
      $finish;
    end
    g_fd = $fopen(g_path, "r");
    if (g_fd == 0) begin
      $display("RESULT: FAIL cannot open %0s", g_path);
      $finish;
    end
    g_frames = 0;
  end
endtask

task g_next;
  output integer kind;
  begin
    kind = 0;
    g_rc = $fscanf(g_fd, "%s", g_tag);
    if (g_rc == 1 && g_tag == "C") begin
      g_rc = $fscanf(g_fd, "%d %d %d %d %d %d %d %d %d %d", g_any, g_nports,
                     g_p[0], g_p[1], g_p[2], g_p[3], g_p[4], g_p[5], g_p[6], g_p[7]);
      g_ports = 128'd0;
      for (g_i = 0; g_i < 8; g_i = g_i + 1) g_ports[16*g_i +: 16] = g_p[g_i];
      g_port_en = (8'd1 << g_nports) - 8'd1;
      if (g_nports == 8) g_port_en = 8'hff;
      kind = 1;
    end else if (g_rc == 1 && g_tag == "F") begin
      g_rc = $fscanf(g_fd, "%d", g_len);
      for (g_i = 0; g_i < g_len; g_i = g_i + 1) begin
        g_rc = $fscanf(g_fd, "%h", g_byte);
        g_frame[g_i] = g_byte;
      end
      g_rc = $fscanf(g_fd, "%s", g_tag);
      if (g_tag != "E") begin
        $display("RESULT: FAIL golden file: no E record after frame %0d", g_frames);
        $finish;
      end
      g_rc = $fscanf(g_fd, "%d %d %d %d %d %h %h %h %h %h %d %h %h %h %h %d %d %d %d %d %d %d",
                     e_drop, e_ver, e_tun, e_frag, e_fout, e_os4, e_od4, e_src, e_dst, e_proto, e_hp,
                     e_sp, e_dp, e_fv, e_crc, e_ch[0], e_ch[1], e_ch[2], e_ch[3], e_ch[4], e_ch[5], e_ch[6]);
      if (g_rc != 22) begin
        $display("RESULT: FAIL golden file: bad E record after frame %0d", g_frames);
        $finish;
      end
      g_frames = g_frames + 1;
      kind = 2;
    end
  end
endtask
