# client namespace (fd77::1): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
# server namespace (fd77::2): ss -tanoi
State     Recv-Q Send-Q Local Address:Port Peer Address:Port Process
TIME-WAIT 0      0          [fd77::2]:8002    [fd77::1]:40026 timer:(timewait,59sec,0)
	
