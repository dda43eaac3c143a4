# client namespace (fd77::1): ss -tanoi
State     Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
TIME-WAIT 0      0          [fd77::1]:40486    [fd77::2]:8048 timer:(timewait,59sec,0)
	
# server namespace (fd77::2): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
