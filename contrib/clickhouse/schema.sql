-- finscope: a ClickHouse table of connection records (ClickHouse 18.16
-- and later). Load with contrib/clickhouse/load.sh, or
--   finscope --json-flat -r FILE | clickhouse-client \
--       --query 'INSERT INTO finscope.conns FORMAT JSONEachRow'
-- Each column is a key of `finscope --json-flat`: the --json "conn" record
-- flattened (a.b is a_b) with times as integer nanoseconds since the epoch
-- (*_ns; ClickHouse 18 has no sub-second DateTime). Questions to ask it:
-- contrib/clickhouse/queries.sql.
CREATE DATABASE IF NOT EXISTS finscope;

CREATE TABLE IF NOT EXISTS finscope.conns
(
    id UInt64,                      -- 1-based, first-packet order per run
    file Nullable(String),          -- capture file of its first frame
    client String,                  -- "ip:port" ([ip]:port for IPv6)
    server String,                  -- the service: "ip:port"
    client_host String,
    client_port UInt16,
    server_host String,
    server_port UInt16,
    vlan UInt32,
    start_ns Int64,                 -- first packet
    end_ns Int64,                   -- last packet
    start_time DateTime MATERIALIZED toDateTime(intDiv(start_ns, 1000000000)),
    packets UInt64,
    first_frame Nullable(UInt64),
    last_frame Nullable(UInt64),
    filter String,                  -- Wireshark display filter
    bytes_client UInt64,            -- payload bytes each side sent
    bytes_server UInt64,
    roles_inferred UInt8,           -- no SYN seen: roles from the ports
    one_sided UInt8,                -- only one direction captured
    close String,                   -- open | graceful | reset | incomplete
    active_closer Nullable(String), -- client | server | simultaneous
    passive_closer Nullable(String),
    simultaneous_close UInt8,
    three_way_close UInt8,
    half_close UInt8,
    bytes_after_peer_fin_client UInt64,
    bytes_after_peer_fin_server UInt64,
    close_duration_ns Nullable(Int64),
    fin_retransmits_client UInt64,  -- FINs sent again
    fin_retransmits_server UInt64,
    final_ack_lost UInt8,
    rst_from Nullable(String),      -- client | server: the first RST
    rst_interrupted Nullable(String), -- the state that RST cut short
    handshake String,               -- completed | refused | syn_unanswered ...
    idle_before_close_ns Nullable(Int64),
    state_client String,            -- end states (RFC 9293 names)
    state_server String,
    time_wait_until_client_ns Nullable(Int64), -- TIME_WAIT ends: began +
    time_wait_until_server_ns Nullable(Int64), -- 2*MSL, or earlier when cut
                                               -- short (reuse, RST)
    time_wait_since_client_ns Nullable(Int64), -- TIME_WAIT began
    time_wait_since_server_ns Nullable(Int64),
    time_wait_end_client_ns Nullable(Int64),   -- the same as until (kept
    time_wait_end_server_ns Nullable(Int64),   -- for older queries)
    old_duplicates UInt64,
    reuse_of Nullable(UInt64),      -- id of the previous incarnation
    reuse_in_time_wait UInt8,
    reuse_holder Nullable(String),  -- who held the old state: client | server
    reuse_holder_state Nullable(String),
    reuse_since_close_ns Nullable(Int64),
    reuse_isn_above_old Nullable(UInt8),
    reuse_ts_newer Nullable(UInt8),
    reuse_safe Nullable(UInt8),
    reuse_outcome Nullable(String), -- accepted | rejected_rst | ...
    old_duplicate_risk_in_window UInt64,
    old_duplicate_risk_paws_rejected UInt64,
    old_duplicate_risk_during_time_wait UInt64,
    duplicate_frames UInt64,
    rst_ignored UInt64,
    confidence String,              -- high | low (capture loss)
    undecided Array(String),        -- fields whose value is a best guess
    undecided_reason Array(String), -- and why, at the same index
    state_age_client_ns Nullable(Int64),
    state_age_server_ns Nullable(Int64),
    capture_loss UInt64,
    illegal_flags UInt64,
    flags Array(String)             -- fin_retransmit, final_ack_lost, ...
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(start_time)
ORDER BY (server_host, server_port, start_ns);
