/* finscope: what one step of the state machine or of the detectors
 * produced — its transitions and events, in order — returned to the
 * caller (Linux tw_status style) instead of called back. */
#ifndef FINSCOPE_TCPOUTCOME_H
#define FINSCOPE_TCPOUTCOME_H

#include <glib.h>
#include "finscope/event.h"
#include "finscope/tcpstate.h"

/* Events one outcome holds without allocating. Over the samples and
 * unit tests a segment step returned at most 5, settling a record 4, a
 * verdict's actions 2; beyond this, events go to a growable array, never
 * lost. */
#define FS_TCP_OUTCOME_INLINE 8

/* A step's happenings in the order they happened: a transition is an
 * FS_EV_STATE event (role, from, to, cause, ts), every other kind a
 * fact. Initialise with fs_tcp_outcome_init(), empty with
 * fs_tcp_outcome_clear(). */
typedef struct FsTcpOutcome {
    guint len;                            /* events held */
    FsEvent first[FS_TCP_OUTCOME_INLINE]; /* the first ones */
    GArray *more;                         /* FsEvent after those, or NULL */
} FsTcpOutcome;

/* Inline: the engine starts and empties outcomes for every segment. */
static inline void
fs_tcp_outcome_init(FsTcpOutcome *out)
{
    out->len = 0;
    out->more = NULL;
}

void fs_tcp_outcome_free_more(FsTcpOutcome *out);

/* Forgets the events (frees what overflowed); ready for reuse. */
static inline void
fs_tcp_outcome_clear(FsTcpOutcome *out)
{
    if (out->more != NULL)
        fs_tcp_outcome_free_more(out);
    out->len = 0;
}

/* fs_tcp_outcome_push()'s slow path: a slot past the inline ones. */
FsEvent *fs_tcp_outcome_push_more(FsTcpOutcome *out);

/* fs_tcp_outcome_push() while an inline slot is left; NULL when they are
 * full: a caller whose usual path should call nothing (no registers to
 * save) then goes to a function of its own that calls
 * fs_tcp_outcome_push_more(). */
static inline FsEvent *
fs_tcp_outcome_push_inline(FsTcpOutcome *out)
{
    if (G_UNLIKELY(out->len >= FS_TCP_OUTCOME_INLINE))
        return NULL;
    return &out->first[out->len++];
}

/* A slot for the next event, at the end of out, for the caller to fill
 * in whole (an inline slot holds whatever was there: clear it, padding
 * too, where events are compared as bytes). Inline: a step records its
 * transitions here without building each on the stack first. */
static inline FsEvent *
fs_tcp_outcome_push(FsTcpOutcome *out)
{
    FsEvent *ev = fs_tcp_outcome_push_inline(out);

    return G_LIKELY(ev != NULL) ? ev : fs_tcp_outcome_push_more(out);
}

/* Appends a copy of ev. */
static inline void
fs_tcp_outcome_add(FsTcpOutcome *out, const FsEvent *ev)
{
    *fs_tcp_outcome_push(out) = *ev;
}

static inline guint
fs_tcp_outcome_len(const FsTcpOutcome *out)
{
    return out->len;
}

/* The i-th event, 0-based, i < fs_tcp_outcome_len(). */
static inline const FsEvent *
fs_tcp_outcome_at(const FsTcpOutcome *out, guint i)
{
    if (i < FS_TCP_OUTCOME_INLINE)
        return &out->first[i];
    return &g_array_index(out->more, FsEvent, i - FS_TCP_OUTCOME_INLINE);
}

/* Transitions in out taken on cause (by any endpoint). */
guint fs_tcp_outcome_count_cause(const FsTcpOutcome *out, FsCause cause);

#endif /* FINSCOPE_TCPOUTCOME_H */
