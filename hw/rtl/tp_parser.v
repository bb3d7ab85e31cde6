// tp_parser: the header parser of the CRC distributor.
//
// It decides, for each frame, exactly what the software parser
// (parse_frame() in probe/decode/parse_impl.hpp with plugins/teredo.cpp) decides for
// the fields the field vector is built from: dropped or not, IP version,
// tunnel or not, fragment (and whether the fragment is the tunnel's outer
// header), the addresses of the level the vector takes, the protocol and
// the ports. Every check of the model that can drop a packet or turn a
// tunnel back into plain IPv4 is here, with the same lengths; checks whose
// only effect is a verdict name (which of several drop reasons, a nested
// tunnel, a bubble with payload) are not, since the vector does not see
// them.
//
// Link layer: Ethernet; up to two 802.1Q / 802.1ad (0x88a8) / 0x9100 tags,
// a third drops (IEEE 802.1Q); PPPoE session (RFC 2516) with PPP IPv4
// 0x0021 / IPv6 0x0057; MPLS (RFC 3032), up to 8 labels, the payload's
// version nibble after the bottom of stack.
// IPv4 (RFC 791): version, IHL >= 5 words, options, total length >= IHL;
// bytes beyond the total length (Ethernet padding) are not the packet's;
// MF or an offset make a fragment, a non-zero offset has no transport.
// IPv6 (RFC 8200): version, 40 bytes, the payload length bounds the
// packet; the extension headers of tp_ext_kind (up to 8; a ninth drops),
// a Fragment header with a non-zero offset ends the parse.
// Transport: TCP (20 bytes, data offset >= 5; RFC 9293 3.1), UDP (8 bytes,
// length >= 8; RFC 768), SCTP (12 bytes; RFC 9260 3.1), ICMP / ICMPv6 (4
// bytes; RFC 792, RFC 4443): a cut header drops the packet (parameter
// L4_CUT_DROPS), so do a bad data offset or UDP length (L4_BAD_DROPS) and
// a cut or ninth extension header (EXT_CUT_DROPS).
// Tunnels, one level, from an outer IPv4 header only:
//   protocol 41 (6to4 RFC 3056, ISATAP RFC 5214, 6rd RFC 5969, 6in4
//   RFC 4213): 40 bytes of IPv6 behind it, version 6, and unless the
//   outer packet is a fragment 40 + payload length <= the IPv4 payload;
//   otherwise it stays an IPv4 flow. Which of the four it is does not
//   change the vector (all carry the inner flow), so it is not decided.
//   Teredo (RFC 4380 5.1.1): UDP with a configured port at either end (or,
//   with cfg_teredo_any_port, any UDP); optional authentication header
//   (0x0001, id-len, au-len, id, au, nonce 8, confirmation 1) and origin
//   indication (0x0000, 6 bytes), each at most once and in that order;
//   40 bytes of IPv6, version 6, 40 + payload length = the UDP payload
//   left. Off the configured ports an inner end must also be in 2001:0::/32
//   (TEREDO_CONTENT = 0, the decoder before issue 10) or, TEREDO_CONTENT =
//   1 (the parser change), the first next header must be one an IPv6
//   packet starts with (TP_TEREDO_NH) and an end must be in 2001:0::/32
//   or a Teredo link-local address. A failed check leaves an IPv4 UDP
//   flow.
// Lengths: `lim` is the end of the packet as the IP headers say (the
// minimum of the IPv4 total length and the IPv6 payload length, as the
// model narrows `end`); the frame length bounds what can be read. Every
// "are N bytes there" test of the model is `x + N <= min(lim, frame
// length)` here.
//
// How it runs: one state per header piece; each state reads up to 8 bytes
// at offset `x` through tp_window and fires when they have arrived (or the
// frame or the packet ended before them: then the shorter count decides,
// as the model's captured length does). One state fires per cycle; a frame
// whose headers are 8 bytes per state or more parses as fast as it
// arrives. After the frame's last beat every state fires at once, so a
// frame is always decided a bounded number of cycles after it ends: no
// input makes the parser wait for bytes that will not come.
`default_nettype none
`include "tp_params.vh"

module tp_parser #(
  parameter NPORTS = 8,
  // The defaults are the decoder's rules since the parser change of issue 10
  // (`TP_RULES_ISSUE10); the other value of each is the decoder before it.
  parameter [255:0] EXT_SET = `TP_EXT_ISSUE10,
  parameter ATOMIC_FRAG_IS_FRAG = 0,  // 0: RFC 6946 atomic fragments are whole packets (parser change)
  parameter L4_CUT_DROPS = 0,         // 0: a cut transport header keeps the packet, ports if 4 bytes are there
  parameter L4_BAD_DROPS = 0,         // 0: a bad TCP data offset or UDP length keeps the packet and its ports
  parameter EXT_CUT_DROPS = 0,        // 0: a cut IPv6 extension header, or a ninth, keeps the packet (its type
                                      //    is the protocol)
  parameter TEREDO_CONTENT = 1,       // 1: the content rules of the parser change off the Teredo ports
  parameter TEREDO_TRAILERS = 1       // 1: RFC 6081 trailers may follow the Teredo IPv6 packet (parser change)
) (
  input  wire                 clk,
  input  wire                 rst,
  // tp_window
  output wire [16:0]          rd_x,
  output wire                 rd_free,
  output wire                 frame_next,
  input  wire [63:0]          rd_data,
  input  wire [16:0]          n_arr,
  input  wire                 eof,
  // configuration (DecodeConfig): change only between frames
  input  wire [16*NPORTS-1:0] cfg_teredo_ports,
  input  wire [NPORTS-1:0]    cfg_teredo_port_en,
  input  wire                 cfg_teredo_any_port,
  // the parse result, valid with pi_valid until pi_ready
  output wire                 pi_valid,
  input  wire                 pi_ready,
  output wire                 pi_drop,
  output wire [7:0]           pi_ip_version,
  output wire                 pi_tunnel,
  output wire                 pi_is_fragment,
  output wire                 pi_frag_outer,
  output wire [31:0]          pi_outer_src4,
  output wire [31:0]          pi_outer_dst4,
  output wire [127:0]         pi_src,
  output wire [127:0]         pi_dst,
  output wire [7:0]           pi_protocol,
  output wire                 pi_has_ports,
  output wire [15:0]          pi_sport,
  output wire [15:0]          pi_dport
);

  localparam [4:0] S_ETH = 5'd0, S_VLAN = 5'd1, S_PPPOE = 5'd2, S_MPLS = 5'd3,
                   S_IP4_0 = 5'd4, S_IP4_1 = 5'd5, S_IP4_2 = 5'd6, S_L4 = 5'd7,
                   S_TCP1 = 5'd8, S_REACH = 5'd9, S_IP6_0 = 5'd10, S_IP6_1 = 5'd11,
                   S_IP6_2 = 5'd12, S_IP6_3 = 5'd13, S_IP6_4 = 5'd14, S_EXT = 5'd15,
                   S_MPLS_V = 5'd17, S_TRAIL = 5'd18, S_DONE = 5'd16, S_BAD = 5'd31;
  // What the IPv6 header being read is: the frame's own, behind protocol 41, or
  // behind a Teredo UDP header.
  localparam [1:0] M_NATIVE = 2'd0, M_P41 = 2'd1, M_TEREDO = 2'd2;
  localparam [16:0] LIM_NONE = 17'h1FFFF;
  // The rule switches as single bits, whatever width an override gives them.
  localparam [0:0] CUT_DROPS = L4_CUT_DROPS != 0;
  localparam [0:0] ATOMIC_IS_FRAG = ATOMIC_FRAG_IS_FRAG != 0;
  localparam [0:0] CONTENT = TEREDO_CONTENT != 0;
  localparam [0:0] BAD_DROPS = L4_BAD_DROPS != 0;
  localparam [0:0] EXTCUT_DROPS = EXT_CUT_DROPS != 0;
  localparam [0:0] TRAILERS = TEREDO_TRAILERS != 0;

  // ------------------------------------------------------------------ state
  reg [4:0]   st;
  reg [16:0]  x;          // read offset of the current state
  reg [16:0]  lim;        // end of the packet by its IP lengths
  reg         done, drop;
  reg [3:0]   mpls_n;     // MPLS labels seen
  reg [16:0]  p4;         // IPv4 header offset
  reg [5:0]   ihl;        // IPv4 header length, bytes
  reg [15:0]  total;      // IPv4 total length
  reg         ip4_frag;   // the IPv4 header is a fragment (MF or offset)
  reg         later;      // ... with a non-zero offset
  reg [31:0]  a4s, a4d;   // IPv4 addresses
  reg [1:0]   mode;
  // Teredo: the UDP payload left from the current header on (the UDP length
  // less 8, less the Teredo headers passed), and that less 40; kept as the
  // headers are passed so that the checks below are comparisons only.
  reg [17:0]  rem, rem40;
  reg [17:0]  p41rem;     // protocol 41: IPv4 payload length - 40
  reg         may_auth, may_origin;
  reg [16:0]  end6;       // end of the IPv6 packet by its payload length
  reg [7:0]   nh;         // IPv6 first next header
  reg [127:0] src6, dst6;
  reg         ver6;       // the result's level is IPv6
  reg         lvl6;       // S_L4 is behind an IPv6 header
  reg [3:0]   ext_n;      // extension headers walked
  reg [7:0]   ext_prev;   // the type of the last one (whose length the next state checks)
  // Teredo trailers (TEREDO_TRAILERS): off the Teredo ports, a datagram with
  // bytes after its IPv6 packet is Teredo only if they are RFC 6081
  // trailers, and they come after the inner packet: the inner packet is
  // parsed `tent`atively, the outer UDP ports kept, then S_TRAIL walks the
  // trailers and keeps the inner result or goes back to the UDP flow.
  reg         tent, inner_drop;
  reg [17:0]  tleft;      // trailer bytes still to walk (UDP payload left after the IPv6 packet)
  reg [15:0]  osp, odp;   // the outer UDP ports
  reg [7:0]   proto;      // protocol of the result / of S_L4
  reg         tunnel, is_frag, frag_outer;
  reg         has_ports;
  reg [15:0]  sport, dport;

  // --------------------------------------------------------------- the read
  wire [7:0] c0 = rd_data[7:0],   c1 = rd_data[15:8],  c2 = rd_data[23:16], c3 = rd_data[31:24];
  wire [7:0] c4 = rd_data[39:32], c5 = rd_data[47:40], c6 = rd_data[55:48], c7 = rd_data[63:56];

  // Bytes the current state needs at x (it may test fewer).
  wire l4_port = proto == 8'd6 || proto == 8'd132 || proto == 8'd1 || proto == 8'd58;
  wire [3:0] l4_need = (!lvl6 && (later || proto == 8'd41)) ? 4'd0 :
                       proto == 8'd17 ? 4'd8 : l4_port ? 4'd4 : 4'd0;
  reg  pm;  // a UDP port is a Teredo port (registered when the UDP header is read)
  wire teredo_look = pm || cfg_teredo_any_port;
  reg [3:0] need;
  always @* begin
    case (st)
      S_ETH:    need = 4'd2;
      S_MPLS_V: need = 4'd1;
      S_TRAIL:  need = 4'd2;
      S_IP4_2:  need = 4'd4;
      S_L4:     need = l4_need;
      S_REACH:  need = 4'd0;
      S_IP6_0:  need = (mode == M_TEREDO && !teredo_look) ? 4'd0 : 4'd8;
      default:  need = 4'd8;
    endcase
  end

  // A state fires when its bytes are in (n_arr >= x + need), or when fewer
  // will ever be: the packet ended (n_arr >= lim) or the frame did (eof).
  // Both tests are differences of registers, side by side, so that `fire`
  // (which enables every register of the parser) is short.
  wire [17:0] dn = {1'b0, n_arr} - {1'b0, x};     // received beyond x
  wire [17:0] dl = {1'b0, lim} - {1'b0, x};       // packet beyond x
  wire        at_lim = n_arr >= lim;
  wire        fire /* verilator public_flat_rd */ = !done && (eof || at_lim || (!dn[17] && dn[16:0] >= {13'd0, need}));
  // What is readable at x when the state fires: min(lim, frame) - x.
  wire [17:0] d = at_lim ? dl : dn;
  wire        reach = !d[17];                    // x <= end
  wire        av2 = reach && d[16:0] >= 17'd2;
  wire        av4 = reach && d[16:0] >= 17'd4;
  wire        av5 = reach && d[16:0] >= 17'd5;
  wire        av8 = reach && d[16:0] >= 17'd8;

  // ------------------------------------------------------------ small blocks
  // The ports as S_L4 reads them from a UDP header.
  wire pm_s, pm_d;
  tp_port_match #(.NPORTS(NPORTS)) u_pms (.ports(cfg_teredo_ports), .enable(cfg_teredo_port_en), .port({c0, c1}), .match(pm_s));
  tp_port_match #(.NPORTS(NPORTS)) u_pmd (.ports(cfg_teredo_ports), .enable(cfg_teredo_port_en), .port({c2, c3}), .match(pm_d));

  wire [1:0] kind_nh, kind_c0;
  tp_ext_kind #(.SET(EXT_SET)) u_kn (.nh(nh), .kind(kind_nh));
  tp_ext_kind #(.SET(EXT_SET)) u_kc (.nh(c0), .kind(kind_c0));

  // Teredo tests on the inner addresses, at S_IP6_4 (dst's low half is the
  // current read).
  wire [127:0] dst_full = {dst6[127:64], rd_data[7:0], rd_data[15:8], rd_data[23:16], rd_data[31:24],
                           rd_data[39:32], rd_data[47:40], rd_data[55:48], rd_data[63:56]};
  wire ts_t, ts_ll, td_t, td_ll;
  tp_teredo_addr u_ts (.a(src6), .teredo(ts_t), .link_local(ts_ll));
  tp_teredo_addr u_td (.a(dst_full), .teredo(td_t), .link_local(td_ll));
  wire [255:0] teredo_nh_set = `TP_TEREDO_NH;
  wire teredo_content = CONTENT ? (teredo_nh_set[nh] && (ts_t || td_t || ts_ll || td_ll)) : (ts_t || td_t);

  // L2 dispatch on an ethertype; `ntags` are the tags seen including this one.
  function [4:0] l2_next;
    input [15:0] etype;
    input [1:0]  ntags;
    begin
      if (etype == 16'h8100 || etype == 16'h88a8 || etype == 16'h9100) l2_next = ntags == 2'd2 ? S_BAD : S_VLAN;
      else if (etype == 16'h8864) l2_next = S_PPPOE;
      else if (etype == 16'h8847) l2_next = S_MPLS;
      else if (etype == 16'h0800) l2_next = S_IP4_0;
      else if (etype == 16'h86dd) l2_next = S_IP6_0;
      else l2_next = S_BAD;  // non_ip
    end
  endfunction

  // ------------------------------------------------------------ next state
  reg [4:0]   st_n;
  reg [16:0]  x_n, lim_n, p4_n;
  reg         done_n, drop_n, ip4_frag_n, later_n, may_auth_n, may_origin_n, ver6_n, lvl6_n;
  reg         tunnel_n, is_frag_n, frag_outer_n, has_ports_n;
  reg [1:0]   mode_n;
  reg [3:0]   mpls_n_n, ext_n_n;
  reg [5:0]   ihl_n;
  reg [15:0]  total_n, sport_n, dport_n;
  reg [17:0]  rem_n, rem40_n, p41rem_n;
  reg [31:0]  a4s_n, a4d_n;
  reg [7:0]   nh_n, proto_n, ext_prev_n;
  reg         tent_n, inner_drop_n;
  reg [17:0]  tleft_n;
  reg [15:0]  osp_n, odp_n;
  reg [8:0]   tlen;
  reg         tknown;
  reg [127:0] src6_n, dst6_n;
  reg         fin, drp, fail, tfail, pm_n;
  reg [16:0]  end6_n;
  reg [5:0]   v4ihl;
  reg [9:0]   alen;
  reg [11:0]  elen;

  always @* begin
    st_n = st; x_n = x; lim_n = lim; done_n = done; drop_n = drop;
    mpls_n_n = mpls_n; p4_n = p4; ihl_n = ihl; total_n = total;
    ip4_frag_n = ip4_frag; later_n = later; a4s_n = a4s; a4d_n = a4d; mode_n = mode;
    rem_n = rem; rem40_n = rem40; p41rem_n = p41rem; may_auth_n = may_auth; may_origin_n = may_origin;
    nh_n = nh; ext_prev_n = ext_prev; tent_n = tent; inner_drop_n = inner_drop; tleft_n = tleft;
    osp_n = osp; odp_n = odp; src6_n = src6; dst6_n = dst6; ver6_n = ver6; lvl6_n = lvl6;
    ext_n_n = ext_n; proto_n = proto; tunnel_n = tunnel; is_frag_n = is_frag; frag_outer_n = frag_outer;
    has_ports_n = has_ports; sport_n = sport; dport_n = dport;
    fin = 1'b0; drp = 1'b0; fail = 1'b0; tfail = 1'b0; pm_n = pm; end6_n = end6;
    tlen = 9'd0; tknown = 1'b0;
    v4ihl = {c0[3:0], 2'b00};
    alen = 10'd13 + {2'b0, c2} + {2'b0, c3};
    // Extension header length: AH (c1 + 2) * 4, Fragment 8, others (c1 + 1) * 8.
    if (kind_nh == 2'd2) elen = {1'b0, ({1'b0, c1} + 9'd2), 2'b00};
    else if (kind_nh == 2'd3) elen = 12'd8;
    else elen = {({1'b0, c1} + 9'd1), 3'b000};

    if (fire) begin
      case (st)
        // Ethernet (IEEE 802.3): type at bytes 12-13.
        S_ETH: begin
          if (!av2) drp = 1'b1;
          else begin
            x_n = x + 17'd2;
            st_n = l2_next({c0, c1}, 2'd0);
            if (st_n == S_BAD) drp = 1'b1;
          end
        end
        // 802.1Q tags (4 bytes: TCI, then the next type), both of a QinQ
        // pair in one read; a third tag drops (vlan_too_deep).
        S_VLAN: begin
          if (!av4) drp = 1'b1;
          else if (l2_next({c2, c3}, 2'd1) != S_VLAN) begin
            x_n = x + 17'd4;
            st_n = l2_next({c2, c3}, 2'd1);
            if (st_n == S_BAD) drp = 1'b1;
          end else begin
            x_n = x + 17'd8;
            st_n = l2_next({c6, c7}, 2'd2);
            if (!av8 || st_n == S_BAD) drp = 1'b1;
          end
        end
        // PPPoE session header (6 bytes), then the PPP protocol.
        S_PPPOE: begin
          x_n = x + 17'd8;
          if (!av8) drp = 1'b1;
          else if ({c6, c7} == 16'h0021) st_n = S_IP4_0;
          else if ({c6, c7} == 16'h0057) st_n = S_IP6_0;
          else drp = 1'b1;
        end
        // MPLS label stack entries (4 bytes; the S bit is bit 8, byte 2
        // bit 0), two per read; a ninth entry drops (mpls_too_deep); after
        // the bottom of the stack the payload's version nibble says IPv4
        // or IPv6 (S_MPLS_V when the bottom was the second entry read).
        S_MPLS: begin
          if (mpls_n == 4'd8 || !av4) drp = 1'b1;
          else if (c2[0]) begin
            x_n = x + 17'd4;
            if (!av5) drp = 1'b1;
            else if (c4[7:4] == 4'd4) st_n = S_IP4_0;
            else if (c4[7:4] == 4'd6) st_n = S_IP6_0;
            else drp = 1'b1;
          end else if (!av8) drp = 1'b1;  // (the count is even here: never the 9th)
          else begin
            x_n = x + 17'd8;
            mpls_n_n = mpls_n + 4'd2;
            if (c6[0]) st_n = S_MPLS_V;
          end
        end
        S_MPLS_V: begin
          if (!reach || d[16:0] == 17'd0) drp = 1'b1;
          else if (c0[7:4] == 4'd4) st_n = S_IP4_0;
          else if (c0[7:4] == 4'd6) st_n = S_IP6_0;
          else drp = 1'b1;
        end
        // IPv4 bytes 0-7: version/IHL, total length, flags/offset.
        S_IP4_0: begin
          p4_n = x;
          if (!av8 || c0[7:4] != 4'd4 || v4ihl < 6'd20 || {c2, c3} < {10'd0, v4ihl}) drp = 1'b1;
          else begin
            ihl_n = v4ihl;
            total_n = {c2, c3};
            lim_n = x + {1'b0, c2, c3};
            ip4_frag_n = c6[5] || {c6[4:0], c7} != 13'd0;
            later_n = {c6[4:0], c7} != 13'd0;
            x_n = x + 17'd8;
            st_n = S_IP4_1;
          end
        end
        // IPv4 bytes 8-15: protocol, source.
        S_IP4_1: begin
          if (!av8) drp = 1'b1;
          else begin
            proto_n = c1;
            a4s_n = {c4, c5, c6, c7};
            p41rem_n = {2'b0, total} - {12'd0, ihl} - 18'd40;
            x_n = x + 17'd8;
            st_n = S_IP4_2;
          end
        end
        // IPv4 bytes 16-19: destination; then the options are skipped.
        S_IP4_2: begin
          if (!av4) drp = 1'b1;
          else begin
            a4d_n = {c0, c1, c2, c3};
            ver6_n = 1'b0;
            is_frag_n = ip4_frag;
            lvl6_n = 1'b0;
            x_n = p4 + {11'd0, ihl};
            // Without options the header's end is known to be there (the
            // 4 bytes just read): a later fragment ends here, protocol 41
            // goes straight to its IPv6 header. With options S_L4 first
            // checks that they are within the packet.
            if (ihl != 6'd20) st_n = S_L4;
            else if (later) fin = 1'b1;
            else if (proto == 8'd41) begin
              mode_n = M_P41;
              st_n = S_IP6_0;
            end else st_n = S_L4;
          end
        end
        // The transport header (or protocol 41 behind IPv4). Entered at a
        // header's end: it must lie within the packet.
        S_L4: begin
          if (!reach) begin
            // Behind an IPv6 extension header: that header was longer than
            // the packet (ipv6_ext_truncated); behind IPv4 options: the
            // IPv4 header was (ipv4_truncated, a drop either way).
            if (lvl6 && !EXTCUT_DROPS) begin
              proto_n = ext_prev;
              fin = 1'b1;
            end else drp = 1'b1;
          end
          else if (!lvl6 && later) fin = 1'b1;  // no transport header in a later fragment
          else if (!lvl6 && proto == 8'd41) begin
            mode_n = M_P41;
            st_n = S_IP6_0;
          end else if (proto == 8'd6) begin
            if (!av4) begin
              if (CUT_DROPS) drp = 1'b1; else fin = 1'b1;
            end else begin
              sport_n = {c0, c1};
              dport_n = {c2, c3};
              x_n = x + 17'd12;
              st_n = S_TCP1;
            end
          end else if (proto == 8'd17) begin
            if (!av8) begin
              if (CUT_DROPS) drp = 1'b1;
              else begin
                fin = 1'b1;
                if (av4) begin
                  has_ports_n = 1'b1;
                  sport_n = {c0, c1};
                  dport_n = {c2, c3};
                end
              end
            end else if ({c4, c5} < 16'd8) begin  // udp_bad_length
              if (BAD_DROPS) drp = 1'b1;
              else begin
                // Ports kept, no tunnel looked for.
                has_ports_n = 1'b1;
                sport_n = {c0, c1};
                dport_n = {c2, c3};
                fin = 1'b1;
              end
            end else begin
              has_ports_n = 1'b1;
              sport_n = {c0, c1};
              dport_n = {c2, c3};
              if (lvl6) fin = 1'b1;
              else begin
                // Maybe Teredo: S_IP6_0 decides.
                pm_n = pm_s || pm_d;
                osp_n = {c0, c1};
                odp_n = {c2, c3};
                mode_n = M_TEREDO;
                rem_n = {2'b0, c4, c5} - 18'd8;
                rem40_n = {2'b0, c4, c5} - 18'd48;
                x_n = x + 17'd8;
                st_n = S_IP6_0;
              end
            end
          end else if (proto == 8'd132) begin
            if (!av4) begin
              if (CUT_DROPS) drp = 1'b1; else fin = 1'b1;
            end else begin
              has_ports_n = 1'b1;
              sport_n = {c0, c1};
              dport_n = {c2, c3};
              x_n = x + 17'd12;
              st_n = S_REACH;
            end
          end else if (proto == 8'd1 || proto == 8'd58) begin
            if (!av4 && CUT_DROPS) drp = 1'b1; else fin = 1'b1;
          end else fin = 1'b1;
        end
        // TCP bytes 12-19: data offset; 20 bytes must be there.
        S_TCP1: begin
          if (!av8) begin
            if (CUT_DROPS) drp = 1'b1;
            else begin
              fin = 1'b1;
              has_ports_n = 1'b1;
            end
          end else if (c0[7:4] < 4'd5) begin  // tcp_bad_offset
            if (BAD_DROPS) drp = 1'b1;
            else begin
              has_ports_n = 1'b1;
              fin = 1'b1;
            end
          end else begin
            has_ports_n = 1'b1;
            fin = 1'b1;
          end
        end
        // SCTP: its 12-byte common header must be there.
        S_REACH: begin
          if (!reach && CUT_DROPS) drp = 1'b1;
          else fin = 1'b1;
        end
        // IPv6 bytes 0-7, or before them the Teredo headers.
        S_IP6_0: begin
          if (mode == M_TEREDO && !teredo_look) fin = 1'b1;  // plain UDP
          else if (mode == M_TEREDO && !reach) fail = 1'b1;  // authentication cut
          else if (mode == M_TEREDO && may_auth && av2 && c0 == 8'h00 && c1 == 8'h01) begin
            // Authentication header (RFC 4380 5.1.1): 13 bytes + id + au.
            if (!av4 || $signed(rem) < $signed({8'd0, alen})) fail = 1'b1;
            else begin
              x_n = x + {7'd0, alen};
              rem_n = rem - {8'd0, alen};
              rem40_n = rem40 - {8'd0, alen};
              may_auth_n = 1'b0;
            end
          end else if (mode == M_TEREDO && may_origin && av2 && c0 == 8'h00 && c1 == 8'h00) begin
            // Origin indication: 8 bytes.
            if (!av8 || $signed(rem) < $signed(18'd8)) fail = 1'b1;
            else begin
              x_n = x + 17'd8;
              rem_n = rem - 18'd8;
              rem40_n = rem40 - 18'd8;
              may_auth_n = 1'b0;
              may_origin_n = 1'b0;
            end
          end else begin
            end6_n = x + 17'd40 + {1'b0, c4, c5};
            tleft_n = rem40 - {2'b0, c4, c5};
            nh_n = c6;
            if (!av8 || c0[7:4] != 4'd6) fail = 1'b1;
            else if (mode == M_P41 && !ip4_frag && $signed({2'b0, c4, c5}) > $signed(p41rem)) fail = 1'b1;
            else if (mode == M_TEREDO && !TRAILERS && {2'b0, c4, c5} != rem40) fail = 1'b1;
            // With trailers: 40 + payload length <= the UDP payload left
            // (RFC 6081 section 4), the rest are trailers.
            else if (mode == M_TEREDO && TRAILERS && $signed({2'b0, c4, c5}) > $signed(rem40)) fail = 1'b1;
            else begin
              x_n = x + 17'd8;
              st_n = S_IP6_1;
            end
          end
        end
        S_IP6_1: begin
          if (!av8) fail = 1'b1;
          else begin
            src6_n[127:64] = {c0, c1, c2, c3, c4, c5, c6, c7};
            x_n = x + 17'd8;
            st_n = S_IP6_2;
          end
        end
        S_IP6_2: begin
          if (!av8) fail = 1'b1;
          else begin
            src6_n[63:0] = {c0, c1, c2, c3, c4, c5, c6, c7};
            x_n = x + 17'd8;
            st_n = S_IP6_3;
          end
        end
        S_IP6_3: begin
          if (!av8) fail = 1'b1;
          else begin
            dst6_n[127:64] = {c0, c1, c2, c3, c4, c5, c6, c7};
            x_n = x + 17'd8;
            st_n = S_IP6_4;
          end
        end
        // IPv6 bytes 32-39: the header is whole; accept the tunnel.
        S_IP6_4: begin
          if (!av8) fail = 1'b1;
          else if (mode == M_TEREDO && !pm && !teredo_content) fin = 1'b1;  // UDP, not Teredo
          else begin
            dst6_n[63:0] = {c0, c1, c2, c3, c4, c5, c6, c7};
            ver6_n = 1'b1;
            // Off the Teredo ports, trailers must parse before it is Teredo.
            if (TRAILERS && mode == M_TEREDO && !pm && tleft != 18'd0) tent_n = 1'b1;
            if (mode != M_NATIVE) begin
              tunnel_n = 1'b1;
              frag_outer_n = ip4_frag;
              has_ports_n = 1'b0;
              sport_n = 16'd0;
              dport_n = 16'd0;
            end
            lim_n = end6 < lim ? end6 : lim;
            x_n = x + 17'd8;
            proto_n = nh;
            lvl6_n = 1'b1;
            ext_n_n = 4'd0;
            if (kind_nh != 2'd0) st_n = S_EXT;
            else if (nh == 8'd6 || nh == 8'd17 || nh == 8'd132 || nh == 8'd1 || nh == 8'd58) st_n = S_L4;
            else fin = 1'b1;  // ESP, no next header, anything without ports
          end
        end
        // One extension header at x, of type nh.
        // Each check in the model's order: the previous header's length
        // (checked here, one state late), then a ninth header, then this
        // header's 8 bytes; a failure drops, or (EXT_CUT_DROPS = 0) ends
        // the flow with the protocol of the header that failed.
        S_EXT: begin
          if (!reach || ext_n == 4'd8 || !av8) begin
            if (EXTCUT_DROPS) drp = 1'b1;
            else begin
              proto_n = !reach ? ext_prev : nh;
              fin = 1'b1;
            end
          end else begin
            if (kind_nh == 2'd3 && (ATOMIC_IS_FRAG || {c2, c3[7:3]} != 13'd0 || c3[0])) begin
              is_frag_n = 1'b1;
              if ({c2, c3[7:3]} != 13'd0) begin
                proto_n = c0;  // a later fragment: no transport header
                fin = 1'b1;
              end
            end
            if (!fin) begin
              nh_n = c0;
              proto_n = c0;
              ext_prev_n = nh;
              x_n = x + {5'd0, elen};
              ext_n_n = ext_n + 4'd1;
              st_n = kind_c0 != 2'd0 ? S_EXT : S_L4;
            end
          end
        end
        // One RFC 6081 trailer (section 4): type, length of the rest, value;
        // known are nonce (1, 4 bytes), alternate address (3: 8, 14, 20 or
        // 26), neighbor discovery option (4, 4) and random port (5, 2).
        // Each must be whole within the UDP payload and the capture; all
        // walked: the inner result stands, else the UDP flow.
        S_TRAIL: begin
          tlen = {1'b0, c1} + 9'd2;
          tknown = (c0 == 8'd1 && c1 == 8'd4) || (c0 == 8'd4 && c1 == 8'd4) || (c0 == 8'd5 && c1 == 8'd2) ||
                   (c0 == 8'd3 && (c1 == 8'd8 || c1 == 8'd14 || c1 == 8'd20 || c1 == 8'd26));
          if (!reach) tfail = 1'b1;  // the last one was not all captured
          else if (tleft == 18'd0) begin
            drop_n = inner_drop;
            done_n = 1'b1;
            st_n = S_DONE;
          end else if ($signed(tleft) < $signed(18'd2) || !av2 || $signed(tleft) < $signed({9'd0, tlen}) || !tknown)
            tfail = 1'b1;
          else begin
            x_n = x + {8'd0, tlen};
            tleft_n = tleft - {9'd0, tlen};
          end
        end
        default: ;
      endcase
      // Not RFC 6081 trailers: not Teredo, the IPv4 UDP flow.
      if (tfail) begin
        ver6_n = 1'b0;
        tunnel_n = 1'b0;
        frag_outer_n = 1'b0;
        is_frag_n = ip4_frag;
        proto_n = 8'd17;
        has_ports_n = 1'b1;
        sport_n = osp;
        dport_n = odp;
        drop_n = 1'b0;
        done_n = 1'b1;
        st_n = S_DONE;
      end
      // A failed IPv6 header: a native one drops, a tunnel's falls back to
      // the IPv4 flow (proto41_* / teredo_* verdicts).
      if (fail) begin
        if (mode == M_NATIVE) drp = 1'b1; else fin = 1'b1;
      end
      if ((drp || fin) && tent_n) begin  // tent_n: S_IP6_4 may set it and finish at once (a bubble)
        // The inner packet is parsed (or dropped): now its trailers, with
        // the end of the IPv4 packet as the limit again.
        tent_n = 1'b0;
        inner_drop_n = drp;
        x_n = end6;
        lim_n = p4 + {1'b0, total};
        st_n = S_TRAIL;
      end else if (drp || fin) begin
        if (drp) drop_n = 1'b1;
        done_n = 1'b1;
        st_n = S_DONE;
      end
    end
  end

  always @(posedge clk) begin
    if (rst || frame_next) begin
      st <= S_ETH;
      x <= 17'd12;
      lim <= LIM_NONE;
      done <= 1'b0;
      drop <= 1'b0;
      mpls_n <= 4'd0;
      ip4_frag <= 1'b0;
      later <= 1'b0;
      mode <= M_NATIVE;
      may_auth <= 1'b1;
      may_origin <= 1'b1;
      ver6 <= 1'b0;
      lvl6 <= 1'b0;
      ext_n <= 4'd0;
      tent <= 1'b0;
      tunnel <= 1'b0;
      is_frag <= 1'b0;
      frag_outer <= 1'b0;
      has_ports <= 1'b0;
      sport <= 16'd0;
      dport <= 16'd0;
      proto <= 8'd0;
    end else begin
      st <= st_n; x <= x_n; lim <= lim_n; done <= done_n; drop <= drop_n;
      mpls_n <= mpls_n_n; ip4_frag <= ip4_frag_n; later <= later_n;
      mode <= mode_n; may_auth <= may_auth_n; may_origin <= may_origin_n;
      ver6 <= ver6_n; lvl6 <= lvl6_n; ext_n <= ext_n_n; tent <= tent_n; tunnel <= tunnel_n; is_frag <= is_frag_n;
      frag_outer <= frag_outer_n; has_ports <= has_ports_n; sport <= sport_n; dport <= dport_n;
      proto <= proto_n;
    end
    // Data registers: written before they are read in every frame.
    p4 <= p4_n; ihl <= ihl_n; total <= total_n; a4s <= a4s_n; a4d <= a4d_n;
    rem <= rem_n; rem40 <= rem40_n; p41rem <= p41rem_n; end6 <= end6_n; ext_prev <= ext_prev_n;
    inner_drop <= inner_drop_n; tleft <= tleft_n; osp <= osp_n; odp <= odp_n; pm <= pm_n; nh <= nh_n; src6 <= src6_n; dst6 <= dst6_n;
  end

  // ---------------------------------------------------------------- outputs
  assign rd_x = x;
  assign rd_free = done;
  assign pi_valid = done && eof;
  assign frame_next = pi_valid && pi_ready;

  assign pi_drop = drop;
  assign pi_ip_version = ver6 ? 8'd6 : 8'd4;
  assign pi_tunnel = tunnel;
  assign pi_is_fragment = is_frag;
  assign pi_frag_outer = frag_outer;
  assign pi_outer_src4 = tunnel ? a4s : 32'd0;
  assign pi_outer_dst4 = tunnel ? a4d : 32'd0;
  assign pi_src = ver6 ? src6 : {a4s, 96'd0};
  assign pi_dst = ver6 ? dst6 : {a4d, 96'd0};
  assign pi_protocol = proto;
  assign pi_has_ports = has_ports;
  assign pi_sport = has_ports ? sport : 16'd0;
  assign pi_dport = has_ports ? dport : 16'd0;

endmodule

`default_nettype wire
