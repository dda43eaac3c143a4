/* finscope: the per-packet pipeline — decode, flow, state, detectors. */
#ifndef FINSCOPE_ENGINE_H
#define FINSCOPE_ENGINE_H

#include <glib.h>
#include "finscope/capture.h"
#include "finscope/conn.h"
#include "finscope/decode.h"
#include "finscope/event.h"

typedef struct {
    FsTime msl;          /* maximum segment lifetime, ns (TIME_WAIT = 2*msl) */
    gboolean rfc1337;    /* stacks ignore RST in TIME_WAIT */
    gboolean all_events; /* also emit FS_EV_STATE transitions */
} FsEngineConfig;

/* Where results go. Either callback may be NULL. */
typedef struct {
    void (*on_event)(const FsEvent *ev, const FsConn *conn, gpointer user);
    /* A connection is done: its record is final and it is freed after. */
    void (*on_conn)(const FsConn *conn, gpointer user);
    gpointer user;
} FsEngineSink;

typedef struct {
    guint64 packets;                      /* frames offered */
    guint64 tcp_segments;                 /* decoded TCP segments */
    guint64 skipped[FS_DECODE_N_STATUS];  /* by FsDecodeStatus (OK unused) */
    guint64 connections;                  /* incarnations created */
    FsTime t_first;                       /* first packet, ns */
    FsTime t_last;                        /* last packet, ns */
} FsEngineStats;

typedef struct FsEngine FsEngine;

FsEngine *fs_engine_new(const FsEngineConfig *cfg, const FsEngineSink *sink);
void fs_engine_free(FsEngine *engine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsEngine, fs_engine_free)

/* Decodes one captured frame and runs it through the pipeline. */
void fs_engine_packet(FsEngine *engine, const FsPacket *pkt);

/* Runs one already-decoded segment through the pipeline. */
void fs_engine_segment(FsEngine *engine, const FsSegment *seg);

/* End of input: settles TIME_WAIT against the last packet's time and
 * hands every remaining connection to the sink, in id order. */
void fs_engine_finish(FsEngine *engine);

const FsEngineStats *fs_engine_stats(const FsEngine *engine);
const FsEngineConfig *fs_engine_config(const FsEngine *engine);

#endif /* FINSCOPE_ENGINE_H */
