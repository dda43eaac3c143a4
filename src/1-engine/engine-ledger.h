/* finscope: engine hooks for --threads N (shards.c), private to
 * src/1-engine.
 *
 * N engines, the shards, each run the connections whose flow hash falls
 * in their share, and every shard sees every packet's time (sweeps run
 * at the same packets in all) and every SYN-ACK (the servers known for
 * role inference are all of them). A further engine, the ledger, runs no
 * packet: it counts what crosses connections (TIME_WAIT per host and per
 * destination, connections held, packets) from the shards' records and
 * events, which shards.c hands it in the order one engine would have
 * emitted them. The report reads the ledger. */
#ifndef FINSCOPE_ENGINE_LEDGER_H
#define FINSCOPE_ENGINE_LEDGER_H

#include <glib.h>
#include "finscope/engine.h"

/* A shard: a frame another shard runs (or, not TCP, shard 0 counts).
 * Its time moves the clock as that packet would have (a sweep may run;
 * not TCP: only the end's time), and a SYN-ACK teaches its server. */
void fs_engine_elsewhere(FsEngine *e, FsDecodeStatus status,
                         const FsSegment *seg);

/* The ledger: one frame, counted as fs_engine_decoded() counts it; a
 * TCP segment also moves the clock (a sweep prunes port pressure).
 * Called after that packet's sweep's records and events, before those
 * of its segment. */
void fs_engine_ledger_packet(FsEngine *e, FsDecodeStatus status,
                             const FsSegment *seg);

/* The ledger: an incarnation was created; returns the id one engine
 * would have given it. */
guint64 fs_engine_ledger_created(FsEngine *e);

/* The ledger: an event, counted as one engine counts it (a move into or
 * out of TIME_WAIT, to its FsTimeWait listener). */
void fs_engine_ledger_event(FsEngine *e, const FsEvent *ev);

/* The ledger: a record handed over while the capture goes on (a sweep
 * or an eviction at now, not the end): no longer held, nor its
 * TIME_WAIT (the store's on_forget). */
void fs_engine_ledger_finished(FsEngine *e, const FsConn *rec, FsTime now);

/* The ledger: the counts each shard keeps of its own connections
 * (evictions, handshakes given up, freezes, records), summed from the
 * shards' stats; memory_peak is the sum of the shards' peaks (an upper
 * bound of their sum's peak; each shard also holds every server known),
 * not what one engine would have held. */
void fs_engine_ledger_sum(FsEngine *e, const FsEngineStats *shards,
                          guint n);

#endif /* FINSCOPE_ENGINE_LEDGER_H */
