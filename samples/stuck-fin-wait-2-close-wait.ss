# client namespace (10.77.0.1): ss -tanoi
State      Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
FIN-WAIT-2 0      0          10.77.0.1:40094    10.77.0.2:8009 timer:(timewait,59sec,0)
	
# server namespace (10.77.0.2): ss -tanoi
State      Recv-Q Send-Q Local Address:Port Peer Address:Port Process
CLOSE-WAIT 0      0          10.77.0.2:8009    10.77.0.1:40094
	 ts sack bbr wscale:10,10 rto:204 rtt:0.017/0.009 ato:40 mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:11 bytes_sent:666 bytes_acked:666 bytes_received:301 segs_out:3 segs_in:5 data_segs_out:1 data_segs_in:1 send 7495529412bps lastsnd:380 lastrcv:380 lastack:280 pacing_rate 17423868384bps delivery_rate 1287111104bps delivered:2 app_limited rcv_space:14480 rcv_ssthresh:64088 minrtt:0.009 snd_wnd:64512
