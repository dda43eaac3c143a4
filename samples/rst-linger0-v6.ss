# client namespace (fd77::1): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
# server namespace (fd77::2): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
