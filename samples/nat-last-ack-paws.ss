# client namespace (192.168.77.1): ss -tanoi
State     Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
TIME-WAIT 0      0       192.168.77.1:40444    10.77.0.2:8044 timer:(timewait,58sec,0)
	
# client2 namespace (192.168.79.1): ss -tanoi
State     Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
TIME-WAIT 0      0       192.168.79.1:40444    10.77.0.2:8044 timer:(timewait,59sec,0)
	
# server namespace (10.77.0.2): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
