# client namespace (10.77.0.1): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
# server namespace (10.77.0.2): ss -tanoi
State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
