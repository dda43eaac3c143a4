/* finscope: what the text and JSON reporters share. */
#ifndef FINSCOPE_REPORT_PRIVATE_H
#define FINSCOPE_REPORT_PRIVATE_H

#include <stdio.h>
#include <glib.h>

#include "finscope/classify.h"
#include "finscope/conn.h"
#include "finscope/event.h"
#include "finscope/handoff.h"
#include "finscope/json-writer.h"
#include "finscope/report.h"
#include "json-put.h"
#include "report-failure.h"
#include "report-flood.h"
#include "tally.h"

/* One server ip:port and how its connections ended (report-service.c). */
typedef struct {
    char *name;                  /* "ip:port" of the server */
    guint64 connections;
    guint64 by_closer[3];        /* client, server, simultaneous first */
    guint64 closers_guessed;     /* of those, the records whose closer
                                    is a guess (one side captured, the
                                    close's start not seen:
                                    fs_classify_closer_guessed()) */
    guint64 resets[2][FS_TCP_N_STATES]; /* first RST: sender role x the
                                           state it interrupted */
    guint64 stuck[2][FS_TCP_N_STATES];  /* endpoints by role and end state
                                           (FIN_WAIT_1 .. LAST_ACK) */
    FsTime stuck_oldest;         /* longest in such a state, ns */
    guint64 fin_retransmits;     /* FINs sent again */
    guint64 time_wait[2];        /* endpoints that entered TIME_WAIT */
    GArray *tw_spans;            /* FsTime pairs: TIME_WAIT entered, left */
    GArray *tw_whole_us;         /* guint32: entered, of those that lasted
                                    tw_whole_len exactly (most: a quarter
                                    of the bytes of a pair), in whole
                                    microseconds from tw_whole_base */
    FsTime tw_whole_base;        /* 2^31 microseconds before the first,
                                    or before the last fold's time */
    GArray *tw_whole;            /* FsTime: entered, the same, of those
                                    not kept so (not whole microseconds,
                                    or over 35 minutes away; NULL:
                                    none) */
    FsTime tw_whole_len;         /* 2*MSL */
    gboolean tw_spans_full;      /* spans stopped being kept, or one came
                                    after its time was folded: the peak
                                    is a lower bound */
    guint64 peak_before;         /* the peak before folded_to: final */
    FsTime folded_to;            /* spans that ended before it were
                                    folded into peak_before; UNSET none */
    guint fold_at;               /* spans kept that start the next fold:
                                    twice those a fold keeps */
    guint64 refused;             /* SYNs the server answered with RST */
    FsTime idle_max;             /* longest idle before a close, ns; -1 */
} FsService;

/* The whole spans svc keeps: in microseconds, and not. */
static inline guint
fs_service_whole_kept(const FsService *svc)
{
    return svc->tw_whole_us->len +
           (svc->tw_whole != NULL ? svc->tw_whole->len : 0);
}

/* The TIME_WAIT spans svc keeps: pairs and whole ones. */
static inline guint
fs_service_spans_kept(const FsService *svc)
{
    return svc->tw_spans->len / 2 + fs_service_whole_kept(svc);
}

typedef struct FsServices FsServices;

FsServices *fs_services_new(void);
void fs_services_free(FsServices *services);
/* The service named "ip:port", created empty when new (finscope merge
 * sums the shards' service records into it). */
FsService *fs_services_get(FsServices *services, const char *name);
/* Counts a finished record under its server ip:port. */
void fs_services_add(FsServices *services, const FsConn *conn,
                     const FsOutcome *outcome, FsTime msl);
guint fs_services_count(const FsServices *services);
/* The top services by connections (0: all), busiest first; owned by
 * services. */
GPtrArray *fs_services_top(FsServices *services, guint top);
/* Most endpoints of this service in TIME_WAIT at once. */
guint64 fs_service_time_wait_peak(const FsService *svc);

/* Sorts the n times at t, ascending, with scratch room for n more
 * (report-service.c; its peaks sort with it). */
void fs_sort_times(FsTime *t, FsTime *scratch, gsize n);
/* Who closes first and what that means: "server closes first in 98%:
 * the server holds TIME_WAIT"; NULL when nothing closed. */
char *fs_service_meaning(const FsService *svc);

/* A capture file not read to its end (FsSourceCut). */
typedef struct {
    char *file;            /* the path as given */
    gint64 bytes_read;     /* where what was read ends; -1 unknown */
    guint32 records_read;  /* records read before the cut */
    char *error;           /* the read error that stopped it, or NULL:
                              it ends inside its last record */
} FsTruncatedFile;

struct FsReport {
    FsReportFormat format;
    FILE *out;
    FsEngineConfig cfg;
    FsTally sum;       /* every finished record, counted once */
    GPtrArray *rows;   /* text: a row of cells per connection, one block
                          each (g_free()) */
    GString *buf;      /* scratch for one output line */
    GString *stuck;    /* text: endpoints stuck in a close state */
    GString *line;     /* text: a streamed conn line */
    GString *cells;    /* text: a record's cells, written in place */
    gboolean when_known;   /* text: when_prefix is when_sec's */
    gint64 when_sec;       /* an event's time, to the second ... */
    char when_prefix[19];  /* ... as fs_time_format() writes it, to the
                              second ("YYYY-MM-DDTHH:MM:SS", no NUL) */
    gboolean dest_header_done; /* text: port-pressure heading written */
    /* live capture only (fs_report_set_*); all zero offline */
    gboolean streaming;    /* text: lines as they come, no table */
    gboolean drops_known;  /* kernel_drops was set */
    guint64 kernel_drops;  /* packets the kernel dropped */
    char *capture_note;    /* what the filter cannot see, or NULL */
    gboolean interim;      /* the summary being written is interim */
    FsFlood *flood;        /* text: dropped half-open records, counted */
    char **sources;        /* capture file names (fs_report_set_sources) */
    guint n_sources;       /* > 1: frames are named with their file */
    FsServices *services;  /* per server ip:port */
    FsFailures *failures;  /* failure classes, RST senders */
    guint top;             /* services shown (fs_report_set_top); 0 all */
    gboolean shard;        /* a --shard run: every list whole, for merge */
    gboolean batched;      /* JSON lines kept in buf up to a batch */
    GPtrArray *truncated;  /* FsTruncatedFile*: files cut short, or NULL */
};

void fs_report_text_services(FsReport *r);
void fs_report_json_services(FsReport *r);
/* A service record's JSON object (finscope merge writes its sums with
 * it). */
void fs_report_json_service_object(FsJson *j, const FsService *svc);

/* The name of capture file source when several were merged (frame
 * numbers then need it), else NULL. Inline: every event and record
 * asks, and with one file (most runs) the answer is one comparison. */
static inline const char *
fs_report_source_name(const FsReport *r, guint source)
{
    if (r->n_sources < 2 || source >= r->n_sources)
        return NULL;
    return r->sources[source];
}

void fs_report_text_event(FsReport *r, const FsEvent *ev, const FsConn *c);
/* ns as milliseconds, "%.3f ms" as printf writes ns / 1e6; g_free() it. */
char *fs_report_ms_string(FsTime ns);
void fs_report_text_conn(FsReport *r, const FsConn *conn,
                         const FsOutcome *outcome);
void fs_report_text_finish(FsReport *r, const FsEngine *engine);
void fs_report_json_event(FsReport *r, const FsEvent *ev, const FsConn *c);
void fs_report_json_conn(FsReport *r, const FsConn *conn,
                         const FsOutcome *outcome);
void fs_report_json_finish(FsReport *r, const FsEngine *engine);

/* An enum value's name as it goes into a line: quoted (and escaped,
 * were there anything to escape) once, then copied as one 32-byte block
 * (the slack has room for it) of which len bytes count. */
typedef struct {
    char text[32];
    guint8 len;             /* 0: too long, written the slow way */
} FsName;

/* A run of members whose values are two small enums' (the close kind
 * and the active closer; the two end states), written whole for every
 * pair of values once, then copied as one block of a size known where
 * it is put (FS_RUN_COPY_*: the longest run of its table fits, which
 * fs_report_names() checks) of which len bytes count. */
typedef struct {
    char text[96];
    guint8 len;
} FsNameRun;

/* ,"close":..,"active_closer":..,"passive_closer":.. */
#define FS_RUN_COPY_CLOSE 80
/* ,"state":{"client":..,"server":..} */
#define FS_RUN_COPY_STATES 64

typedef struct {
    FsName state[FS_TCP_N_STATES];
    FsName kind[FS_EV_N_KINDS];
    FsName cause[FS_CAUSE_N];
    FsName close[FS_CLOSE_INCOMPLETE + 1];
    FsName closer[FS_CLOSER_SIMULTANEOUS + 1];
    FsName passive[FS_CLOSER_SIMULTANEOUS + 1];
    FsName handshake[FS_HANDSHAKE_N];
    FsName role[2];
    FsName flag[FS_FLAG_N];
    /* by close kind and active closer - FS_CLOSER_NONE */
    FsNameRun close_run[FS_CLOSE_INCOMPLETE + 1][FS_CLOSER_SIMULTANEOUS + 2];
    /* by the client's end state and the server's */
    FsNameRun states_run[FS_TCP_N_STATES][FS_TCP_N_STATES];
} FsNames;

/* The tables of names, filled on the first call (from any thread;
 * report-json.c). */
const FsNames *fs_report_names(void);

/* The name of value v from table, or, outside it or when too long,
 * slow's string the usual way. */
#define PUT_NAME(out, p, table, v, slow)                                   \
    do {                                                                   \
        gint64 v_ = (gint64)(v);                                           \
                                                                           \
        if (G_LIKELY(v_ >= 0 && v_ < (gint64)G_N_ELEMENTS(table) &&        \
                     (table)[v_].len != 0)) {                              \
            memcpy((p), (table)[v_].text, sizeof(table)[v_].text);         \
            (p) += (table)[v_].len;                                        \
        } else {                                                           \
            (p) = fs_json_put_string((out), (p), (slow));                  \
        }                                                                  \
    } while (0)

/* Copies run (an FsNameRun) to p as one block of copy bytes (within
 * the slack) and moves p past its text. */
#define PUT_RUN(p, run, copy)                                              \
    do {                                                                   \
        G_STATIC_ASSERT((copy) <= sizeof(run).text);                       \
        memcpy((p), (run).text, (copy));                                   \
        (p) += (run).len;                                                  \
    } while (0)

/* A role's name quoted ("client", "server": 8 bytes each, one store)
 * or null for FS_ROLE_NONE. */
static inline char *
fs_report_put_role(char *p, int role)
{
    static const char quoted[2][8] = { "\"client\"", "\"server\"" };

    G_STATIC_ASSERT(FS_ROLE_CLIENT == 0 && FS_ROLE_SERVER == 1);
    if (role != FS_ROLE_CLIENT && role != FS_ROLE_SERVER)
        return fs_put_null(p);
    memcpy(p, quoted[role], 8);
    return p + 8;
}

/* Pieces of the records written through json-put.h (report-json.c),
 * which --json-flat shares: ,"client":"ip:port","server":..., the
 * hosts and ports; ,"flags":[names]; the line's end, and the line out. */
char *fs_report_put_endpoints(char *p, const FsConn *conn,
                              const FsHandoffHosts *hosts);
char *fs_report_put_flags(GString *out, char *p, guint32 flags);
char *fs_report_put_close_names(GString *out, char *p,
                                const FsOutcome *outcome);

/* ,"close":..,"active_closer":..,"passive_closer":.. of outcome: one
 * copy of their run from nm (fs_report_names()), or, for values outside
 * its table, each name the usual way. */
static inline char *
fs_report_put_close_run(const FsNames *nm, GString *out, char *p,
                        const FsOutcome *outcome)
{
    guint close = (guint)outcome->close;
    guint closer = (guint)(outcome->active_closer - FS_CLOSER_NONE);

    if (G_LIKELY(close <= FS_CLOSE_INCOMPLETE &&
                 closer <= FS_CLOSER_SIMULTANEOUS - FS_CLOSER_NONE)) {
        PUT_RUN(p, nm->close_run[close][closer], FS_RUN_COPY_CLOSE);
        return p;
    }
    return fs_report_put_close_names(out, p, outcome);
}
void fs_report_put_line_end(FsReport *r, char *p);
/* Writes the lines a batched report holds (JSON, --json-flat). */
void fs_report_put_pending(FsReport *r);

/* Ports a client has for one destination (default Linux range). */
guint fs_report_ephemeral_ports(const FsReport *r);

/* How many destinations the port-pressure list shows. */
#define FS_REPORT_MAX_DESTS FS_ENGINE_DEST_TOP

#endif /* FINSCOPE_REPORT_PRIVATE_H */
