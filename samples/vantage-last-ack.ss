# client namespace (10.77.0.1): ss -tanoi
State     Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
TIME-WAIT 0      0          10.77.0.1:40474    10.77.0.2:8047 timer:(timewait,59sec,0)
	
# server namespace (10.77.0.2): ss -tanoi
State    Recv-Q Send-Q Local Address:Port Peer Address:Port Process
LAST-ACK 0      1          10.77.0.2:8047    10.77.0.1:40474 timer:(on,588ms,2)
	 ts sack bbr wscale:10,10 rto:816 backoff:2 rtt:0.034/0.018 ato:40 mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:1 bytes_sent:666 bytes_acked:666 bytes_received:301 segs_out:7 segs_in:5 data_segs_out:1 data_segs_in:1 send 340705882bps lastsnd:1480 lastrcv:1480 lastack:1372 pacing_rate 8947391176bps delivery_rate 643555552bps delivered:2 app_limited busy:1072ms unacked:1 retrans:1/3 lost:1 rcv_space:14480 rcv_ssthresh:64088 minrtt:0.018 snd_wnd:64512
