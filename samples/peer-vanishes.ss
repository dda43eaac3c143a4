# client namespace (10.77.0.1): ss -tanoi
State      Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
FIN-WAIT-2 0      0          10.77.0.1:40244    10.77.0.2:8024 timer:(timewait,58sec,0)
	
# server namespace (10.77.0.2): ss -tanoi
State    Recv-Q Send-Q Local Address:Port Peer Address:Port Process
LAST-ACK 0      1          10.77.0.2:8024    10.77.0.1:40244 timer:(on,392ms,2)
	 ts sack bbr wscale:10,10 rto:816 backoff:2 rtt:0.019/0.01 ato:40 mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:1 bytes_sent:666 bytes_acked:666 bytes_received:301 segs_out:7 segs_in:5 data_segs_out:1 data_segs_in:1 send 609684211bps lastsnd:1680 lastrcv:1680 lastack:1580 pacing_rate 15764452624bps delivery_rate 1654857136bps delivered:2 app_limited busy:1256ms unacked:1 retrans:1/3 lost:1 rcv_space:14480 rcv_ssthresh:64088 minrtt:0.007 snd_wnd:64512
