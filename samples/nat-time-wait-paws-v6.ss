# client namespace (fd78::1): ss -tanoi
State     Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
TIME-WAIT 0      0          [fd78::1]:40426    [fd77::2]:8042 timer:(timewait,59sec,0)
	
# client2 namespace (fd79::1): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
# server namespace (fd77::2): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
