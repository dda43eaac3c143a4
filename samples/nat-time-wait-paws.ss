# client namespace (192.168.77.1): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
# client2 namespace (192.168.79.1): ss -tanoi
State     Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
TIME-WAIT 0      0       192.168.79.1:40424    10.77.0.2:8042 timer:(timewait,59sec,0)
	
# server namespace (10.77.0.2): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
