/* finscope: per-connection verdicts, pure functions of the final record. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/classify.h"
#include "finscope/detect.h"
#include "finscope/seq.h"

const char *
fs_close_kind_name(FsCloseKind kind)
{
    switch (kind) {
    case FS_CLOSE_OPEN:       return "open";
    case FS_CLOSE_GRACEFUL:   return "graceful";
    case FS_CLOSE_RESET:      return "reset";
    case FS_CLOSE_INCOMPLETE: return "incomplete";
    }
    g_return_val_if_reached("?");
}

/* graceful: both FINs acknowledged before any RST (a later RST does not
 * change it); reset: an RST came first; incomplete: a FIN but no end. */
FsCloseKind
fs_classify_close(const FsConn *conn)
{
    if (conn->close_done_time != FS_TIME_UNSET)
        return FS_CLOSE_GRACEFUL;
    if (conn->rst_from != FS_ROLE_NONE)
        return FS_CLOSE_RESET;
    if (conn->ep[FS_ROLE_CLIENT].fin_sent || conn->ep[FS_ROLE_SERVER].fin_sent)
        return FS_CLOSE_INCOMPLETE;
    return FS_CLOSE_OPEN;
}

const char *
fs_handshake_name(FsHandshake hs)
{
    switch (hs) {
    case FS_HANDSHAKE_COMPLETED:      return "completed";
    case FS_HANDSHAKE_NOT_SEEN:       return "not_seen";
    case FS_HANDSHAKE_SYN_UNANSWERED: return "syn_unanswered";
    case FS_HANDSHAKE_REFUSED:        return "refused";
    case FS_HANDSHAKE_GIVEN_UP:       return "given_up";
    case FS_HANDSHAKE_UNFINISHED:     return "unfinished";
    case FS_HANDSHAKE_N:              break;
    }
    g_return_val_if_reached("?");
}

static gboolean
state_established(guint8 st)
{
    return st >= FS_TCP_ESTABLISHED && st <= FS_TCP_TIME_WAIT;
}

/* The server completed the handshake (RFC 9293 §3.5): it reached
 * ESTABLISHED (or a close), or its state when the first RST came was
 * one. Where only the client is seen, its ACK proves a SYN-ACK came. */
static gboolean
was_established(const FsConn *conn)
{
    const FsEndpoint *c = &conn->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];

    if (c->fin_sent || s->fin_sent || s->bytes > 0)
        return TRUE;
    if (state_established(s->state))
        return TRUE;
    if (conn->rst_from == FS_ROLE_SERVER && state_established(conn->rst_state))
        return TRUE;
    if (conn->rst_from == FS_ROLE_CLIENT &&
        state_established(conn->rst_peer_state))
        return TRUE;
    return !s->seen && c->ack_seen;
}

/* The server's SYN-ACK got no ACK: it gives up after
 * FS_CLASSIFY_SYNACK_GIVE_UP (Linux: 5 retries, 63 s); an RST (from
 * either side) or the engine dropping the record ends it sooner. */
static FsHandshake
synack_unacked(const FsConn *conn)
{
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];

    if (conn->rst_from != FS_ROLE_NONE || conn->evicted)
        return FS_HANDSHAKE_GIVEN_UP;
    if (s->state == FS_TCP_SYN_RECEIVED && s->state_since != FS_TIME_UNSET &&
        conn->settled_at != FS_TIME_UNSET &&
        conn->settled_at >= s->state_since + FS_CLASSIFY_SYNACK_GIVE_UP)
        return FS_HANDSHAKE_GIVEN_UP;
    return FS_HANDSHAKE_UNFINISHED;
}

FsHandshake
fs_classify_handshake(const FsConn *conn)
{
    const FsEndpoint *c = &conn->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];

    if (!conn->syn_seen && !s->isn_known)
        return FS_HANDSHAKE_NOT_SEEN;
    if (was_established(conn))
        return FS_HANDSHAKE_COMPLETED;
    if (!c->seen) /* only the server's side: its ACK is out of sight */
        return FS_HANDSHAKE_NOT_SEEN;
    if (s->isn_known)
        return synack_unacked(conn);
    if (conn->rst_from == FS_ROLE_SERVER)
        return FS_HANDSHAKE_REFUSED;
    return FS_HANDSHAKE_SYN_UNANSWERED;
}

FsTime
fs_classify_idle_before_close(const FsConn *conn)
{
    const FsEndpoint *c = &conn->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];
    FsTime last = MAX(c->last_payload_time, s->last_payload_time);
    FsTime close = FS_TIME_UNSET;

    if (c->fin_time != FS_TIME_UNSET)
        close = c->fin_time;
    if (s->fin_time != FS_TIME_UNSET &&
        (close == FS_TIME_UNSET || s->fin_time < close))
        close = s->fin_time;
    if (close == FS_TIME_UNSET)
        close = conn->rst_time;
    if (last == FS_TIME_UNSET || close == FS_TIME_UNSET || close < last)
        return -1;
    return close - last;
}

const char *
fs_closer_name(FsCloser closer)
{
    switch (closer) {
    case FS_CLOSER_NONE:         return NULL;
    case FS_CLOSER_CLIENT:       return "client";
    case FS_CLOSER_SERVER:       return "server";
    case FS_CLOSER_SIMULTANEOUS: return "simultaneous";
    }
    g_return_val_if_reached(NULL);
}

const char *
fs_passive_closer_name(FsCloser closer)
{
    return closer == FS_CLOSER_CLIENT   ? "server"
           : closer == FS_CLOSER_SERVER ? "client"
                                        : NULL;
}

/* The active closer sent the first FIN. Ack numbers decide, not capture
 * order: the passive closer's FIN acknowledges the active closer's. */
FsCloser
fs_classify_active_closer(const FsConn *conn)
{
    const FsEndpoint *c = &conn->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];

    if (conn->simultaneous)
        return FS_CLOSER_SIMULTANEOUS;
    if (!c->fin_sent && !s->fin_sent)
        return FS_CLOSER_NONE;
    if (!s->fin_sent)
        return FS_CLOSER_CLIENT;
    if (!c->fin_sent)
        return FS_CLOSER_SERVER;
    if (fs_seq_geq(s->fin_ack, c->fin_seq + 1))
        return FS_CLOSER_CLIENT;
    if (fs_seq_geq(c->fin_ack, s->fin_seq + 1))
        return FS_CLOSER_SERVER;
    return c->fin_time <= s->fin_time ? FS_CLOSER_CLIENT : FS_CLOSER_SERVER;
}

FsTime
fs_classify_close_duration(const FsConn *conn)
{
    const FsEndpoint *c = &conn->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];
    FsTime first;

    if (conn->close_done_time == FS_TIME_UNSET)
        return -1;
    first = MIN(c->fin_time, s->fin_time);
    return conn->close_done_time - first;
}

gboolean
fs_classify_closer_guessed(const FsConn *conn)
{
    const FsEndpoint *c = &conn->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];

    /* one side seen past its SYN (an unanswered SYN is no partial view:
     * a silent server looks the same either way); or, the handshake not
     * seen, the capture began with a FIN: the peer's FIN may have passed
     * before it (who closed first, and the peer's state, unknown) */
    return (fs_conn_one_sided(conn) && (c->ack_seen || s->ack_seen)) ||
           (!conn->syn_seen && !c->isn_known && !s->isn_known &&
            ((c->fin_sent && c->fin_time == conn->t_first) ||
             (s->fin_sent && s->fin_time == conn->t_first)));
}

gboolean
fs_classify_confidence_low(const FsConn *conn)
{
    return conn->capture_loss != 0 || fs_classify_closer_guessed(conn);
}

gboolean
fs_classify_half_close(const FsConn *conn)
{
    return conn->ep[FS_ROLE_CLIENT].bytes_after_peer_fin > 0 ||
           conn->ep[FS_ROLE_SERVER].bytes_after_peer_fin > 0;
}

/* An endpoint the capture never showed is UNKNOWN. With one direction
 * only, the visible side's close states rest on ACKs we cannot see, so
 * only what it proved by itself stands: ESTABLISHED, or CLOSED by RST. */
FsTcpState
fs_classify_end_state(const FsConn *conn, FsRole role)
{
    const FsEndpoint *ep = &conn->ep[role];

    if (!ep->seen)
        return FS_TCP_UNKNOWN;
    if (fs_conn_one_sided(conn) && ep->state != FS_TCP_ESTABLISHED &&
        ep->state != FS_TCP_SYN_SENT &&
        !(ep->state == FS_TCP_CLOSED && ep->rst_count > 0))
        return FS_TCP_UNKNOWN;
    return ep->state;
}

/* In FsFlag order, which is fs_classify_flags()' order. */
static const char *const flag_names[FS_FLAG_N] = {
    [FS_FLAG_SIMULTANEOUS_CLOSE] = "simultaneous_close",
    [FS_FLAG_THREE_WAY_CLOSE] = "three_way_close",
    [FS_FLAG_HALF_CLOSE] = "half_close",
    [FS_FLAG_FIN_RETRANSMIT] = "fin_retransmit",
    [FS_FLAG_FINAL_ACK_LOST] = "final_ack_lost",
    [FS_FLAG_DATA_AFTER_FIN] = "data_after_fin",
    [FS_FLAG_RST_ANSWERS_FIN] = "rst_answers_fin",
    [FS_FLAG_ABORT_AFTER_CLOSE] = "abort_after_close",
    [FS_FLAG_RST_IGNORED] = "rst_ignored",
    [FS_FLAG_PEER_SILENT] = "peer_silent",
    [FS_FLAG_FIN_BEYOND_DATA] = "fin_beyond_data",
    [FS_FLAG_TIME_WAIT_ASSASSINATED] = "time_wait_assassinated",
    [FS_FLAG_REUSE_IN_TIME_WAIT] = "reuse_in_time_wait",
    [FS_FLAG_REUSE_REJECTED] = "reuse_rejected",
    [FS_FLAG_DUPLICATE_FRAME] = "duplicate_frame",
    [FS_FLAG_OLD_DUPLICATE] = "old_duplicate",
    [FS_FLAG_CAPTURE_LOSS] = "capture_loss",
    [FS_FLAG_ILLEGAL_FLAGS] = "illegal_flags",
    [FS_FLAG_ONE_SIDED] = "one_sided",
    [FS_FLAG_ROLES_INFERRED] = "roles_inferred",
    [FS_FLAG_EVICTED] = "evicted",
};

G_STATIC_ASSERT(FS_FLAG_N <= 32);

const char *
fs_flag_name(FsFlag flag)
{
    g_return_val_if_fail(flag >= 0 && flag < FS_FLAG_N, NULL);
    return flag_names[flag];
}

int
fs_flag_from_name(const char *name)
{
    for (int f = 0; f < FS_FLAG_N; f++) {
        if (strcmp(flag_names[f], name) == 0)
            return f;
    }
    return -1;
}

guint32
fs_flag_bits(const char *const *names)
{
    guint32 bits = 0;

    for (guint i = 0; names != NULL && names[i] != NULL; i++) {
        int f = fs_flag_from_name(names[i]);

        if (f >= 0)
            bits |= FS_FLAG_BIT(f);
    }
    return bits;
}

void
fs_flag_names(guint32 flags, GPtrArray *names)
{
    for (int f = 0; f < FS_FLAG_N; f++) {
        if (flags & FS_FLAG_BIT(f))
            g_ptr_array_add(names, (gpointer)flag_names[f]);
    }
}

/* Sets flag's bit when on is true. */
#define FLAG_IF(bits, flag, on) ((bits) |= (guint32)((on) != 0) << (flag))

/* The traits as FS_FLAG_BIT()s, each set straight from its field (no
 * table to fill and scan: this runs for every record). */
static guint32
conn_flags(const FsConn *conn)
{
    const FsEndpoint *c = &conn->ep[FS_ROLE_CLIENT];
    const FsEndpoint *s = &conn->ep[FS_ROLE_SERVER];
    guint32 bits = 0;

    FLAG_IF(bits, FS_FLAG_SIMULTANEOUS_CLOSE, conn->simultaneous);
    FLAG_IF(bits, FS_FLAG_THREE_WAY_CLOSE, conn->three_way_close);
    FLAG_IF(bits, FS_FLAG_HALF_CLOSE, fs_classify_half_close(conn));
    FLAG_IF(bits, FS_FLAG_FIN_RETRANSMIT,
            c->fin_count > 1 || s->fin_count > 1);
    FLAG_IF(bits, FS_FLAG_FINAL_ACK_LOST, conn->final_ack_lost != 0);
    FLAG_IF(bits, FS_FLAG_DATA_AFTER_FIN,
            c->bytes_after_own_fin || s->bytes_after_own_fin);
    FLAG_IF(bits, FS_FLAG_RST_ANSWERS_FIN, conn->rst_answers_fin);
    FLAG_IF(bits, FS_FLAG_ABORT_AFTER_CLOSE, conn->aborted_after_close);
    FLAG_IF(bits, FS_FLAG_RST_IGNORED, conn->rst_ignored != 0);
    FLAG_IF(bits, FS_FLAG_PEER_SILENT, conn->peer_silent);
    FLAG_IF(bits, FS_FLAG_FIN_BEYOND_DATA, conn->fin_beyond_data);
    FLAG_IF(bits, FS_FLAG_TIME_WAIT_ASSASSINATED, conn->tw_assassinated);
    FLAG_IF(bits, FS_FLAG_REUSE_IN_TIME_WAIT, conn->reuse_in_time_wait);
    FLAG_IF(bits, FS_FLAG_REUSE_REJECTED,
            conn->reuse.outcome == FS_REUSE_REJECTED_RST ||
            conn->reuse.outcome == FS_REUSE_CHALLENGE_ACK);
    FLAG_IF(bits, FS_FLAG_DUPLICATE_FRAME, conn->duplicate_frames != 0);
    FLAG_IF(bits, FS_FLAG_OLD_DUPLICATE, conn->old_duplicates != 0);
    FLAG_IF(bits, FS_FLAG_CAPTURE_LOSS, conn->capture_loss != 0);
    FLAG_IF(bits, FS_FLAG_ILLEGAL_FLAGS, conn->illegal_flags != 0);
    FLAG_IF(bits, FS_FLAG_ONE_SIDED, fs_conn_one_sided(conn));
    FLAG_IF(bits, FS_FLAG_ROLES_INFERRED, conn->roles_inferred);
    FLAG_IF(bits, FS_FLAG_EVICTED, conn->evicted);
    return bits;
}

void
fs_classify_flags(const FsConn *conn, GPtrArray *names)
{
    fs_flag_names(conn_flags(conn), names);
}

void
fs_classify_outcome(const FsConn *conn, FsOutcome *out)
{
    memset(out, 0, sizeof *out);
    out->close = fs_classify_close(conn);
    out->active_closer = fs_classify_active_closer(conn);
    out->rst_from = conn->rst_from;
    out->half_close = fs_classify_half_close(conn);
    for (int r = FS_ROLE_CLIENT; r <= FS_ROLE_SERVER; r++) {
        const FsEndpoint *ep = &conn->ep[r];

        out->end_state[r] = fs_classify_end_state(conn, (FsRole)r);
        out->fin_retransmits[r] = ep->fin_count > 1 ? ep->fin_count - 1u
                                                    : 0;
    }
    out->final_ack_lost = conn->final_ack_lost;
    out->flags = conn_flags(conn);
    out->old_duplicates = conn->old_duplicates;
    out->handshake = fs_classify_handshake(conn);
    out->close_duration = fs_classify_close_duration(conn);
    out->idle_before_close = fs_classify_idle_before_close(conn);
}
