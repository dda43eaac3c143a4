# client namespace (10.77.0.1): ss -tanoi
State     Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
TIME-WAIT 0      0          10.77.0.1:40434    10.77.0.2:8043 timer:(timewait,59sec,0)
	
# server namespace (10.77.0.2): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
