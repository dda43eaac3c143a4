# client namespace (192.168.77.1): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
# client2 namespace (192.168.79.1): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
# server namespace (10.77.0.2): ss -tanoi
State     Recv-Q Send-Q Local Address:Port Peer Address:Port Process
TIME-WAIT 0      0          10.77.0.2:8043  10.77.0.254:40434 timer:(timewait,55sec,0)
	
