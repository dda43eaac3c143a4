/* finscope: the one tally of what finished connections count for. */
#ifndef FINSCOPE_TALLY_H
#define FINSCOPE_TALLY_H

#include <glib.h>
#include "finscope/classify.h"
#include "finscope/conn.h"
#include "hostindex.h"

/* Both endpoints, for fs_tally_add()'s endpoints mask. */
#define FS_TALLY_BOTH ((1u << FS_ROLE_CLIENT) | (1u << FS_ROLE_SERVER))

/* One host's endpoints in TIME_WAIT at the end (time_wait_hosts). */
typedef struct {
    FsAddr addr;   /* its key: the family's bytes, the rest zero */
    guint64 count;
} FsTallyHost;

/* Sums over finished records. Text, JSON, Prometheus and `check` read
 * these numbers and count nothing themselves, so they agree. */
typedef struct {
    guint64 connections;
    guint64 by_close[4];         /* by FsCloseKind */
    guint64 by_closer[3];        /* client, server, simultaneous */
    guint64 rst_from[2];         /* resets by role of the first RST */
    guint64 by_flag[FS_FLAG_N];  /* connections with each flag */
    guint64 fin_retransmits;     /* FIN transmissions beyond the first */
    guint64 final_ack_lost;      /* FINs re-sent after their final ACK */
    guint64 old_duplicates;      /* segments of older incarnations */
    guint64 by_handshake[FS_HANDSHAKE_N]; /* connections by FsHandshake */
    guint64 end_states[FS_TCP_N_STATES]; /* endpoints by state at the end */
    guint64 time_wait_at_end;    /* endpoints holding TIME_WAIT at the end
                                    (an evicted record's does not count) */
    GArray *time_wait_hosts;     /* FsTallyHost, by binary address, in
                                    order of their first: the text is
                                    made by fs_tally_time_wait_hosts() */
    FsHostIndex time_wait_index; /* of time_wait_hosts: number + 1
                                    (hostindex.h): a record's host found
                                    without GHashTable's calls (a
                                    look-up took ~110 instructions) */
} FsTally;

void fs_tally_init(FsTally *t);
void fs_tally_clear(FsTally *t);

/* Adds one record's outcome; addr (client, server) names the TIME_WAIT
 * hosts. endpoints (bits 1 << FsRole) says whose per-endpoint counts
 * (FIN retransmissions, end states, TIME_WAIT) are added: FS_TALLY_BOTH
 * but for `check`'s {role=}/{host=} labels. */
void fs_tally_add(FsTally *t, const FsOutcome *o, const FsAddr addr[2],
                  guint endpoints);
/* fs_classify_outcome() then fs_tally_add() for both endpoints. */
void fs_tally_add_conn(FsTally *t, const FsConn *conn);

typedef struct {
    char *host;
    guint64 count;
} FsHostCount;

/* FsHostCount* of time_wait_hosts, largest first, then by host. */
GPtrArray *fs_tally_time_wait_hosts(const FsTally *t);

/* ---- the field catalogue: every summary field, its meaning and how it
 * reads the tally (`finscope check` and its --help, baselines; README's
 * field list is held to it by tests/tally.sh) ---- */

/* How a field reads the tally; arg says which count. */
typedef enum {
    FS_TALLY_COUNT_ALL,             /* connections */
    FS_TALLY_COUNT_CLOSE,           /* by_close[arg: FsCloseKind] */
    FS_TALLY_COUNT_CLOSER,          /* by_closer[arg: FsCloser] */
    FS_TALLY_COUNT_RST_FROM,        /* rst_from[arg: FsRole] */
    FS_TALLY_COUNT_FLAG,            /* by_flag[arg: FsFlag] */
    FS_TALLY_COUNT_FINAL_ACK_LOST,  /* final_ack_lost */
    FS_TALLY_COUNT_FIN_RETRANSMITS, /* fin_retransmits */
    FS_TALLY_COUNT_END_STATE,       /* end_states[arg: FsTcpState];
                                       TIME_WAIT: time_wait_at_end */
    FS_TALLY_COUNT_TIME_WAIT_PEAK,  /* the engine's peak when known, else
                                       time_wait_at_end (check.c) */
    FS_TALLY_COUNT_HANDSHAKE,       /* by_handshake[arg: FsHandshake] */
} FsTallyCount;

typedef struct {
    const char *name;      /* as written in an assertion and a baseline */
    FsTallyCount count;    /* what it reads */
    int arg;               /* FsCloseKind, FsCloser, FsRole, FsFlag or
                              FsTcpState, by count */
    gboolean per_endpoint; /* counts endpoints, not connections */
    gboolean in_baseline;  /* listed in baselines */
    const char *meaning;   /* one line for --help */
} FsTallyField;

/* The catalogue, in --help and baseline order; *n its length. */
const FsTallyField *fs_tally_fields(guint *n);
/* The field whose name is the len bytes at name, or NULL. */
const FsTallyField *fs_tally_field_find(const char *name, gsize len);
/* The field's value in t. */
guint64 fs_tally_field_value(const FsTallyField *f, const FsTally *t);

#endif /* FINSCOPE_TALLY_H */
