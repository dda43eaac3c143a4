-- finscope: questions to ask the connection records in ClickHouse
-- (contrib/clickhouse/schema.sql; README "Records into ClickHouse").
-- Each query follows a "-- query: NAME" line; tests/clickhouse.sh runs
-- every one and compares its answer with finscope's own summary.

-- query: services_closing_first
-- Which services (server ip:port) close first most: the server is then
-- the side that holds TIME_WAIT, one per connection.
SELECT
    server,
    count() AS connections,
    countIf(active_closer = 'server') AS server_first,
    countIf(active_closer = 'client') AS client_first,
    countIf(active_closer = 'simultaneous') AS simultaneous,
    round(100 * server_first / greatest(countIf(active_closer IS NOT NULL), 1), 1)
        AS server_first_pct
FROM finscope.conns
GROUP BY server
ORDER BY server_first DESC, server
LIMIT 20;

-- query: rst_senders
-- Who resets most: a server by its ip:port, a client by its host (its
-- ephemeral port says nothing), as the summary's rst_senders.
SELECT
    if(rst_from = 'server', server, client_host) AS sender,
    count() AS resets,
    groupUniqArray(assumeNotNull(rst_interrupted)) AS interrupted
FROM finscope.conns
WHERE rst_from IS NOT NULL
GROUP BY sender
ORDER BY resets DESC, sender
LIMIT 10;

-- query: port_pressure
-- Which hosts come close to port exhaustion: most TIME_WAIT a client
-- held at once towards one server ip:port (each blocks that 4-tuple for
-- 2*MSL), against the ephemeral range (Linux 32768-60999, 28232 ports:
-- change it for other clients). Each TIME_WAIT is the span
-- [since, end); at the same instant an end counts before a start.
SELECT
    client_host,
    server AS destination,
    count() / 2 AS time_wait_entered,
    arrayReduce('max', arrayCumSum(arrayMap(e -> if(e % 2 = 1, 1, -1),
                                            arraySort(groupArray(edge)))))
        AS time_wait_peak,
    28232 AS ephemeral_ports,
    intDiv(time_wait_peak * 1000, ephemeral_ports) AS used_permille
FROM
(
    SELECT
        client_host,
        server,
        arrayJoin([assumeNotNull(time_wait_since_client_ns) * 2 + 1,
                   assumeNotNull(time_wait_end_client_ns) * 2]) AS edge
    FROM finscope.conns
    WHERE time_wait_since_client_ns IS NOT NULL
)
GROUP BY client_host, server
ORDER BY time_wait_peak DESC, client_host, destination
LIMIT 10;

-- query: fin_retransmits
-- FIN retransmission rate per service: FINs sent again, and the share of
-- connections with one (loss on the path, or a peer that stopped
-- answering).
SELECT
    server,
    count() AS connections,
    sum(fin_retransmits_client + fin_retransmits_server) AS fin_retransmits,
    countIf(fin_retransmits_client + fin_retransmits_server > 0) AS conns_with,
    round(100 * conns_with / connections, 1) AS conns_with_pct
FROM finscope.conns
GROUP BY server
ORDER BY fin_retransmits DESC, server
LIMIT 20;

-- query: close_wait_stuck
-- CLOSE_WAIT at the end = an application that got the peer's FIN and
-- never closed its socket: per service and side, how many and the
-- oldest (seconds in that state when the record was written).
SELECT
    server,
    role,
    count() AS close_wait,
    round(max(age_ns) / 1e9, 3) AS oldest_s
FROM
(
    SELECT server, 'server' AS role, state_age_server_ns AS age_ns
    FROM finscope.conns WHERE state_server = 'CLOSE_WAIT'
    UNION ALL
    SELECT server, 'client' AS role, state_age_client_ns AS age_ns
    FROM finscope.conns WHERE state_client = 'CLOSE_WAIT'
)
GROUP BY server, role
ORDER BY close_wait DESC, server, role
LIMIT 20;

-- query: closes
-- How connections ended, all together: close kind by active closer.
SELECT
    close,
    ifNull(active_closer, '-') AS active_closer,
    count() AS connections
FROM finscope.conns
GROUP BY close, active_closer
ORDER BY close, active_closer;
