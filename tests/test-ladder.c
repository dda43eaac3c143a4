/* finscope tests: the ladder diagram (report-ladder.c) from hand-made
 * segments and events, without a capture. */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "finscope/decode.h"
#include "finscope/ladder.h"

#define MS (G_GINT64_CONSTANT(1000000))

static FsConn conn;

/* client 10.0.0.1:40000, server 10.0.0.2:80; ISNs 1000 and 5000 */
static void
setup_conn(void)
{
    memset(&conn, 0, sizeof conn);
    conn.id = 7;
    for (int r = 0; r < 2; r++) {
        conn.addr[r].family = 4;
        conn.addr[r].bytes[0] = 10;
        conn.addr[r].bytes[3] = (guint8)(r + 1);
        conn.ep[r].isn_known = 1;
    }
    conn.port[FS_ROLE_CLIENT] = 40000;
    conn.port[FS_ROLE_SERVER] = 80;
    conn.ep[FS_ROLE_CLIENT].isn = 1000;
    conn.ep[FS_ROLE_SERVER].isn = 5000;
    conn.first_frame = 1;
    conn.last_frame = 6;
    conn.packets = 6;
}

/* frame, ms, sender, flags, seq, ack, len */
static void
add(FsLadder *l, guint32 frame, gint64 ms, FsRole from, guint8 flags,
    guint32 seq, guint32 ack, guint32 len)
{
    FsSegment seg;
    FsRole to = from == FS_ROLE_CLIENT ? FS_ROLE_SERVER : FS_ROLE_CLIENT;

    memset(&seg, 0, sizeof seg);
    seg.ts = ms * MS;
    seg.src = conn.addr[from];
    seg.dst = conn.addr[to];
    seg.sport = conn.port[from];
    seg.dport = conn.port[to];
    seg.flags = flags;
    seg.seq = seq;
    seg.ack = ack;
    seg.payload_len = len;
    seg.frame = frame;
    fs_ladder_segment(l, &seg);
}

static void
state(FsLadder *l, guint32 frame, gint64 ms, FsRole role, FsTcpState to,
      FsCause cause)
{
    FsEvent ev;

    memset(&ev, 0, sizeof ev);
    ev.ts = ms * MS;
    ev.kind = FS_EV_STATE;
    ev.role = (gint8)role;
    ev.transition.to = to;
    ev.transition.cause = cause;
    ev.frame = frame;
    fs_ladder_event(l, &ev);
}

static char *
draw(gboolean utf8)
{
    g_autoptr(FsLadder) l = NULL;
    FsLadderStyle style = { utf8, FALSE };
    GString *out = g_string_new(NULL);

    setup_conn();
    l = fs_ladder_new(&conn);
    add(l, 1, 0, FS_ROLE_CLIENT, FS_TH_SYN, 1000, 0, 0);
    state(l, 1, 0, FS_ROLE_CLIENT, FS_TCP_SYN_SENT, FS_CAUSE_SEND_SYN);
    add(l, 2, 1, FS_ROLE_SERVER, FS_TH_SYN | FS_TH_ACK, 5000, 1001, 0);
    add(l, 3, 2, FS_ROLE_CLIENT, FS_TH_ACK | FS_TH_PSH, 1001, 5001, 100);
    state(l, 3, 2, FS_ROLE_CLIENT, FS_TCP_ESTABLISHED,
          FS_CAUSE_HANDSHAKE_DONE);
    add(l, 4, 50, FS_ROLE_CLIENT, FS_TH_FIN | FS_TH_ACK, 1101, 5001, 0);
    state(l, 4, 50, FS_ROLE_CLIENT, FS_TCP_FIN_WAIT_1, FS_CAUSE_SEND_FIN);
    add(l, 5, 51, FS_ROLE_SERVER, FS_TH_FIN | FS_TH_ACK, 5001, 1102, 0);
    state(l, 5, 51, FS_ROLE_CLIENT, FS_TCP_TIME_WAIT, FS_CAUSE_RECV_FIN);
    add(l, 6, 3000, FS_ROLE_CLIENT, FS_TH_ACK, 1102, 5002, 0);
    /* settled late: its line goes back to its time, before frame 6 */
    state(l, 0, 1051, FS_ROLE_CLIENT, FS_TCP_CLOSED,
          FS_CAUSE_TIME_WAIT_EXPIRED);
    fs_ladder_write(l, &style, out);
    return g_string_free(out, FALSE);
}

/* The line holding needle, or NULL. */
static char *
line_with(const char *text, const char *needle)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++) {
        if (strstr(lines[i], needle) != NULL)
            return g_strdup(lines[i]);
    }
    return NULL;
}

static void
test_ascii(void)
{
    g_autofree char *text = draw(FALSE);
    g_autofree char *collapsed = line_with(text, "... 3 segments, 100 B");
    g_autofree char *fin = line_with(text, "[FIN, ACK] seq=101 ack=1 ");
    g_autofree char *fin_back = line_with(text, "[FIN, ACK] seq=1 ack=102 ");
    g_autofree char *timer = line_with(text, "2*MSL passed");
    const char *at_timer = strstr(text, "2*MSL passed");
    const char *at_frame6 = strstr(text, "[ACK] seq=102 ack=2 ");

    /* the handshake and the data: one line, with the state reached */
    g_assert_nonnull(collapsed);
    g_assert_nonnull(strstr(collapsed, "ESTABLISHED"));
    /* the close in full: relative numbers, direction, state, delta */
    g_assert_nonnull(fin);
    g_assert_true(g_str_has_prefix(fin, "     4   +48.0ms  FIN_WAIT_1"));
    g_assert_nonnull(strstr(fin, "------>|"));
    g_assert_nonnull(fin_back);
    g_assert_nonnull(strstr(fin_back, "|<-----"));
    g_assert_nonnull(strstr(fin_back, "TIME_WAIT"));
    /* the timer line at its time: after frame 5, before frame 6 */
    g_assert_nonnull(timer);
    g_assert_nonnull(strstr(timer, "CLOSED"));
    g_assert_nonnull(at_frame6);
    g_assert_true(at_timer < at_frame6);
    /* ASCII only */
    for (const char *p = text; *p != '\0'; p++)
        g_assert_cmpint((guchar)*p, <, 0x80);
}

static void
test_utf8(void)
{
    g_autofree char *text = draw(TRUE);

    g_assert_nonnull(strstr(text, "\u2502"));       /* box-drawing bar */
    g_assert_nonnull(strstr(text, "\u2500\u25b6")); /* arrow to the right */
    g_assert_nonnull(strstr(text, "\u2026 3 segments"));
    g_assert_true(g_utf8_validate(text, -1, NULL));
}

/* A segment's row is added before the engine runs that segment: a
 * timer's line dated before it (its sweep proved an ACK by silence) may
 * get its events first, and the segment's own events stay its own.
 * Before, the segment's row read the events from where they stood when
 * it was added: the timer's TIME_WAIT drawn on its line, its own
 * CLOSING lost (samples/crafted-time-wait-back-to-closing, frame 17). */
static void
test_timer_before_segment_events(void)
{
    g_autoptr(FsLadder) l = NULL;
    FsLadderStyle style = { FALSE, FALSE };
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *again = NULL;
    g_autofree char *timer = NULL;

    setup_conn();
    l = fs_ladder_new(&conn);
    add(l, 1, 0, FS_ROLE_CLIENT, FS_TH_FIN | FS_TH_ACK, 1001, 5001, 0);
    state(l, 1, 0, FS_ROLE_CLIENT, FS_TCP_FIN_WAIT_1, FS_CAUSE_SEND_FIN);
    add(l, 2, 1, FS_ROLE_SERVER, FS_TH_FIN | FS_TH_ACK, 5001, 1001, 0);
    state(l, 2, 1, FS_ROLE_SERVER, FS_TCP_FIN_WAIT_1, FS_CAUSE_SEND_FIN);
    /* the server's FIN again, then the sweep before it, then its own */
    add(l, 3, 3000, FS_ROLE_SERVER, FS_TH_FIN | FS_TH_ACK, 5001, 1002, 0);
    state(l, 0, 2, FS_ROLE_SERVER, FS_TCP_TIME_WAIT, FS_CAUSE_FIN_ACKED);
    state(l, 3, 3000, FS_ROLE_SERVER, FS_TCP_CLOSING, FS_CAUSE_ACK_LOST);
    fs_ladder_write(l, &style, out);
    again = line_with(out->str, "[FIN, ACK] seq=1 ack=2 ");
    timer = line_with(out->str, "(its ACK arrived");
    g_assert_nonnull(again);
    g_assert_nonnull(strstr(again, "CLOSING"));
    g_assert_null(strstr(again, "TIME_WAIT"));
    g_assert_nonnull(timer);
    g_assert_nonnull(strstr(timer, "TIME_WAIT"));
    g_assert_true(strstr(out->str, "(its ACK arrived") <
                  strstr(out->str, "[FIN, ACK] seq=1 ack=2 "));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ladder/ascii", test_ascii);
    g_test_add_func("/ladder/utf8", test_utf8);
    g_test_add_func("/ladder/timer-before-segment-events",
                    test_timer_before_segment_events);
    return g_test_run();
}
