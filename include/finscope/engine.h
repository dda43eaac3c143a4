/* finscope: the per-packet pipeline — decode, flow, state, detectors. */
#ifndef FINSCOPE_ENGINE_H
#define FINSCOPE_ENGINE_H

#include <glib.h>
#include "finscope/capture.h"
#include "finscope/classify.h"
#include "finscope/conn.h"
#include "finscope/decode.h"
#include "finscope/event.h"
#include "finscope/flow.h"

typedef struct {
    FsTime msl;          /* maximum segment lifetime, ns (TIME_WAIT = 2*msl) */
    gboolean rfc1337;    /* stacks ignore RST in TIME_WAIT */
    gboolean all_events; /* also emit FS_EV_STATE transitions */
    FsTime idle_timeout; /* a connection quiet this long is finished;
                            0 = never (offline default) */
    guint max_flows;     /* connections tracked at once; beyond it the
                            oldest is finished early (evicted);
                            0 = no limit */
    guint ephemeral_ports; /* size of the clients' ephemeral port range
                              (FS_ENGINE_EPHEMERAL_PORTS), port pressure */
    FsTime freeze_after; /* connections are kept frozen (freeze.h) until
                            their next packet or deadline: closed ones at
                            once, open ones quiet this long;
                            0 = FS_ENGINE_FREEZE_AFTER, < 0 = never */
    guint64 max_memory;  /* bytes of state the engine may hold, by its own
                            accounting (FsEngineStats.memory); beyond it
                            the least useful connections are finished
                            early (evicted, FsEvictClass order);
                            0 = FS_ENGINE_MAX_MEMORY */
    guint shard;         /* --shard K/N: keep the flows whose flow hash */
    guint shards;        /* is K mod N (0 = all); the other shards' TCP
                            segments only move the clock and name their
                            servers, their other frames only the end's
                            time (FsEngineStats.shard_skipped) */
    guint sources;       /* capture files read together (0 or 1: one);
                            from 2, a frame two of them hold is one frame
                            seen at two points (copies.h): counted as a
                            duplicate frame, not as sent twice */
} FsEngineConfig;

#define FS_ENGINE_FREEZE_AFTER (10 * FS_NS_PER_SEC)
/* The default MSL in seconds: Linux and the BSDs (TIME_WAIT 60 s). */
#define FS_ENGINE_MSL_S 30
/* Ports a client has for one destination by default: Linux's
 * ip_local_port_range, 32768-60999. */
#define FS_ENGINE_EPHEMERAL_PORTS (60999 - 32768 + 1)
#define FS_ENGINE_MAX_MEMORY (G_GUINT64_CONSTANT(160) << 20)

/* What an evicted connection was, least useful first: the order in which
 * a memory budget or --max-flows finishes them early. */
typedef enum {
    FS_EVICT_HALF_OPEN,  /* handshake never completed (SYN_SENT or
                            SYN_RECEIVED, no FIN or RST) */
    FS_EVICT_IDLE,       /* open, no close begun; quiet ones first */
    FS_EVICT_WAITING,    /* close complete (both ends CLOSED or TIME_WAIT,
                            or reset): only waits out 2*MSL; before idle
                            ones active in the last 10 s */
    FS_EVICT_CLOSING,    /* a FIN or RST seen, close not complete */
    FS_EVICT_N_CLASSES
} FsEvictClass;

/* "half_open", "idle", "waiting", "closing": the one name every view
 * uses. */
const char *fs_evict_class_name(FsEvictClass cls);

/* The class of a connection's record, by its states. */
FsEvictClass fs_engine_conn_class(const FsConn *conn);

/* A record whose handshake never completed and that was dropped: evicted
 * or given up (FS_ENGINE_SYN_GIVE_UP, FS_ENGINE_SYNACK_GIVE_UP), not one
 * the capture's end cut short. */
gboolean fs_engine_half_open_dropped(const FsConn *conn);

/* A handshake the stack gives up on (Linux defaults): a SYN unanswered
 * after 6 retransmissions, 1 s initial RTO doubling (1+2+...+64 s); a
 * SYN-ACK after 5 (1+2+...+32 s). Its connection is finished then, also
 * offline (capture time). */
#define FS_ENGINE_SYN_GIVE_UP (127 * FS_NS_PER_SEC)
#define FS_ENGINE_SYNACK_GIVE_UP (63 * FS_NS_PER_SEC)

/* Where results go. Either callback may be NULL. */
typedef struct {
    void (*on_event)(const FsEvent *ev, const FsConn *conn, gpointer user);
    /* A connection is done: its record is final and it is freed after;
     * outcome is its verdict (fs_classify_outcome()), worked out once
     * here for every view (NULL for a sink that classifies). */
    void (*on_conn)(const FsConn *conn, const FsOutcome *outcome,
                    gpointer user);
    gpointer user;
    /* Optional (NULL: none). Where the next record handed over may be
     * built: the engine decodes a frozen record straight into it, and
     * on_conn given this address keeps it without a copy. The engine
     * may write it until that on_conn, or drop it (a record not handed
     * over after all): a later call returns the same address until an
     * on_conn took one; nothing else the sink does moves it. */
    FsConn *(*record_slot)(gpointer user);
    /* TRUE: the sink works out each record's verdict itself (the stage:
     * in its worker's thread), and on_conn gets outcome NULL. */
    gboolean classifies;
    /* Optional (NULL: none), for a sink that classifies and offers
     * record_slot: on_conn of a record the engine did not thaw. frozen
     * (freeze.h) is in the slot (record_slot), as the engine held it;
     * the sink thaws and settles it with fs_conn_thaw_settled(frozen,
     * ..., how), which the engine proved changes only the record
     * (fs_tcpstate_settles_quietly()), then goes on as on_conn. */
    void (*on_frozen_conn)(const FsConn *frozen, const FsSettleHow *how,
                           gpointer user);
    /* Optional (NULL: none). A record handed over while the capture
     * goes on (--idle-timeout, an eviction: on_conn just had it) left
     * role's endpoint in TIME_WAIT: from now on the engine no longer
     * counts that TIME_WAIT as held (time_wait_now, the peaks, port
     * pressure). No state event: the endpoint's socket changed nothing,
     * the engine stopped watching it. */
    void (*on_time_wait_forgotten)(const FsConn *rec, FsRole role,
                                   FsTime now, gpointer user);
} FsEngineSink;

/* A frame this much older than one before it is out of time order
 * (files joined end to end, a capture replayed), not the few
 * microseconds two CPUs' stamps differ by: its verdicts may be wrong. */
#define FS_ENGINE_BACK_IN_TIME FS_NS_PER_SEC

typedef struct {
    guint64 packets;                      /* frames offered */
    guint64 tcp_segments;                 /* decoded TCP segments */
    guint64 options_cut;                  /* of those, whose TCP options
                                             the snap length cut
                                             (FsSegment.opts_cut) */
    guint64 skipped[FS_DECODE_N_STATUS];  /* by FsDecodeStatus (OK unused) */
    guint64 connections;                  /* incarnations created */
    FsTime t_first;                       /* first packet, ns */
    FsTime t_last;                        /* last packet, ns */
    guint64 live;                         /* connections held right now */
    guint64 live_peak;                    /* most held at once */
    guint64 frozen;                       /* of those held, frozen now */
    guint64 freezes;                      /* records encoded frozen, in all */
    guint64 finished;                     /* records handed to the sink */
    guint64 evicted;                      /* finished early: max_flows or
                                             max_memory (all classes) */
    guint64 time_wait_now;                /* endpoints in TIME_WAIT now */
    guint64 time_wait_peak;               /* most at once, all hosts */
    FsTime time_wait_peak_at;             /* when that peak was reached */
    guint64 dests_tracked;                /* (client, server ip:port) kept
                                             for port pressure, now */
    guint64 evicted_by_class[FS_EVICT_N_CLASSES]; /* evicted, by FsEvictClass */
    guint64 handshakes_expired;           /* finished when the stack would
                                             have given up the handshake */
    guint64 memory;                       /* bytes of state held now (the
                                             engine's accounting, not RSS) */
    guint64 memory_peak;                  /* most at once */
    guint64 hosts_pruned;                 /* hosts back at zero TIME_WAIT
                                             whose peak was not kept */
    guint64 shard_skipped;                /* packets of other shards'
                                             flows (cfg.shards) */
    guint64 back_in_time;                 /* frames more than
                                             FS_ENGINE_BACK_IN_TIME older
                                             than one before them */
    FsTime back_in_time_most;             /* the most one went back, ns */
    guint64 lean_segments;                /* of tcp_segments, those the
                                             lean path took (engine.c
                                             lean_segment(); 0 with
                                             FINSCOPE_NO_LEAN); in no
                                             output */
} FsEngineStats;

/* TIME_WAIT held by one host (IP address) over the capture. */
typedef struct {
    FsAddr host;         /* the host holding the TIME_WAIT sockets */
    guint64 now;         /* endpoints in TIME_WAIT at the current time */
    guint64 peak;        /* most at once */
    FsTime peak_at;      /* when the peak was first reached */
    guint64 entered;     /* endpoints that entered TIME_WAIT in all */
} FsHostTimeWait;

typedef struct FsEngine FsEngine;

FsEngine *fs_engine_new(const FsEngineConfig *cfg, const FsEngineSink *sink);
void fs_engine_free(FsEngine *engine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsEngine, fs_engine_free)

/* Decodes one captured frame and runs it through the pipeline. */
void fs_engine_packet(FsEngine *engine, const FsPacket *pkt);

/* Decodes one captured frame into seg, with its capture time and, for a
 * TCP segment, its flow hash: what fs_engine_decoded() takes. Needs no
 * engine (the reader thread calls it). */
FsDecodeStatus fs_engine_decode(const FsPacket *pkt, FsSegment *seg);

/* fs_engine_decode() of a frame given field by field: inline, for loops
 * that decode records where they lie (fs_capture_decode_batch()). */
static inline FsDecodeStatus
fs_engine_decode_frame(int linktype, const guint8 *data, guint32 caplen,
                       guint32 wirelen, FsTime ts, guint32 frame,
                       guint source, FsSegment *seg)
{
    seg->ts = ts;
    seg->frame = frame;
    seg->source = source;
    return fs_decode_frame(linktype, data, caplen, wirelen, seg);
}

/* The shard (of n, n >= 1) that runs a frame decode gave status for:
 * a TCP segment's is its flow hash (the same both ways, flow.h) mixed
 * again, mod n (the flow table places flows by the hash's low bits and
 * tags them with its high ones, which a shard must not fix); anything
 * else goes to shard 0, which only counts it, so the shards' counts add
 * up to one run's. --shard K/N and --threads N both split so. */
static inline guint
fs_shard_of(FsDecodeStatus status, const FsSegment *seg, guint n)
{
    guint32 hash;

    if (status != FS_DECODE_OK)
        return 0;
    hash = seg->flow_hash != 0 ? seg->flow_hash : fs_flow_hash(seg);
    return (guint)(fs_mix64(hash) % n);
}

/* Counts one frame fs_decode() gave status for (seg->ts is its capture
 * time) and, when it is a TCP segment, runs it through the pipeline. */
void fs_engine_decoded(FsEngine *engine, FsDecodeStatus status,
                       const FsSegment *seg);

/* fs_engine_decoded() of n frames in a row (status[i] for seg[i]), each
 * frame's flow slot, connection and then its deadline entry hinted into
 * the cache a few frames ahead (fewer for each, as each is found through
 * the one before): one call for a batch. */
void fs_engine_decoded_run(FsEngine *engine, const guint8 *status,
                           const FsSegment *seg, guint n);

/* Runs one already-decoded segment through the pipeline. */
void fs_engine_segment(FsEngine *engine, const FsSegment *seg);

/* Moves capture time forward without a packet (a quiet interface):
 * TIME_WAITs run out and finished connections go to the sink. Packets
 * do this themselves. */
void fs_engine_advance(FsEngine *engine, FsTime now);

/* End of input: settles TIME_WAIT against the last packet's time and
 * hands every remaining connection to the sink, in id order. */
void fs_engine_finish(FsEngine *engine);

/* TIME_WAIT a client host held towards one server ip:port. Each blocks
 * that 4-tuple for 2*MSL: against the ephemeral port range this is how
 * close the client came to running out of ports for that destination. */
typedef struct {
    FsAddr client;       /* host holding the TIME_WAIT */
    FsAddr server;       /* destination address */
    guint16 port;        /* destination port */
    guint64 peak;        /* most TIME_WAIT at once towards it */
    FsTime peak_at;      /* when */
} FsDestTimeWait;

/* Hosts back at zero TIME_WAIT whose peak the engine keeps: the busiest
 * (the others are forgotten, FsEngineStats.hosts_pruned). */
#define FS_ENGINE_HOST_TOP 100

/* Calls fn for each host holding TIME_WAIT now and the busiest of those
 * that held it (FS_ENGINE_HOST_TOP), busiest peak first. */
void fs_engine_foreach_time_wait_host(const FsEngine *engine,
                                      void (*fn)(const FsHostTimeWait *tw,
                                                 gpointer user),
                                      gpointer user);

/* The same for the max busiest only (a report's summary: hosts at the
 * end are as many as the connections held). */
void fs_engine_foreach_time_wait_host_top(const FsEngine *engine, guint max,
                                          void (*fn)(const FsHostTimeWait *tw,
                                                     gpointer user),
                                          gpointer user);

const FsEngineStats *fs_engine_stats(const FsEngine *engine);
const FsEngineConfig *fs_engine_config(const FsEngine *engine);

/* Destinations whose port pressure the engine can always report: those
 * below the top ones and idle are forgotten (memory stays flat). */
#define FS_ENGINE_DEST_TOP 10

/* Calls fn for the busiest destinations (client host -> server ip:port)
 * by TIME_WAIT peak, at most max (<= FS_ENGINE_DEST_TOP) of them. */
void fs_engine_foreach_time_wait_dest(const FsEngine *engine, guint max,
                                      void (*fn)(const FsDestTimeWait *d,
                                                 gpointer user),
                                      gpointer user);

#endif /* FINSCOPE_ENGINE_H */
