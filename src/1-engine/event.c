/* finscope: names of event kinds, shared by every reporter. */
#include "config.h"

#include <glib.h>

#include "finscope/event.h"

static const char *const kind_names[FS_EV_N_KINDS] = {
    [FS_EV_STATE] = "state",
    [FS_EV_FIN] = "fin",
    [FS_EV_RST] = "rst",
    [FS_EV_SIMULTANEOUS_CLOSE] = "simultaneous_close",
    [FS_EV_HALF_CLOSE] = "half_close",
    [FS_EV_FIN_RETRANSMIT] = "fin_retransmit",
    [FS_EV_FINAL_ACK_LOST] = "final_ack_lost",
    [FS_EV_DATA_AFTER_FIN] = "data_after_fin",
    [FS_EV_ILLEGAL_FLAGS] = "illegal_flags",
    [FS_EV_TIME_WAIT_ASSASSINATED] = "time_wait_assassinated",
    [FS_EV_CAPTURE_LOSS] = "capture_loss",
    [FS_EV_OLD_DUPLICATE] = "old_duplicate",
    [FS_EV_REUSE_IN_TIME_WAIT] = "reuse_in_time_wait",
    [FS_EV_REUSE_REJECTED] = "reuse_rejected",
    [FS_EV_RST_ANSWERS_FIN] = "rst_answers_fin",
    [FS_EV_RST_AFTER_FIN] = "rst_after_fin",
    [FS_EV_FIN_BEYOND_DATA] = "fin_beyond_data",
    [FS_EV_DUPLICATE_FRAME] = "duplicate_frame",
    [FS_EV_RST_IGNORED] = "rst_ignored",
    [FS_EV_ABORT_AFTER_CLOSE] = "abort_after_close",
    [FS_EV_PEER_SILENT] = "peer_silent",
    [FS_EV_HALF_OPEN_RESET] = "half_open_reset",
    [FS_EV_STATE_LOST] = "state_lost",
    [FS_EV_HANDSHAKE_ACK_LOST] = "handshake_ack_lost",
    [FS_EV_FIN_IGNORED] = "fin_ignored",
    [FS_EV_FIN_RTX_SPURIOUS] = "fin_rtx_spurious",
};

const char *
fs_event_kind_name(FsEventKind kind)
{
    g_return_val_if_fail(kind < FS_EV_N_KINDS, "?");
    return kind_names[kind];
}

gboolean
fs_event_kind_is_anomaly(FsEventKind kind)
{
    switch (kind) {
    case FS_EV_STATE:
    case FS_EV_FIN:
    case FS_EV_RST:
    case FS_EV_SIMULTANEOUS_CLOSE:
    case FS_EV_HALF_CLOSE:
        return FALSE;
    case FS_EV_FIN_RETRANSMIT:
    case FS_EV_FINAL_ACK_LOST:
    case FS_EV_DATA_AFTER_FIN:
    case FS_EV_ILLEGAL_FLAGS:
    case FS_EV_TIME_WAIT_ASSASSINATED:
    case FS_EV_CAPTURE_LOSS:
    case FS_EV_OLD_DUPLICATE:
    case FS_EV_REUSE_IN_TIME_WAIT:
    case FS_EV_REUSE_REJECTED:
    case FS_EV_RST_ANSWERS_FIN:
    case FS_EV_RST_AFTER_FIN:
    case FS_EV_FIN_BEYOND_DATA:
    case FS_EV_DUPLICATE_FRAME:
    case FS_EV_RST_IGNORED:
    case FS_EV_ABORT_AFTER_CLOSE:
    case FS_EV_PEER_SILENT:
    case FS_EV_HALF_OPEN_RESET:
    case FS_EV_STATE_LOST:
    case FS_EV_HANDSHAKE_ACK_LOST:
    case FS_EV_FIN_IGNORED:
    case FS_EV_FIN_RTX_SPURIOUS:
        return TRUE;
    case FS_EV_N_KINDS:
        break;
    }
    g_return_val_if_reached(FALSE);
}
