/* finscope: half-open floods in the text report — connections whose
 * handshake never completed and were evicted or given up, counted by
 * destination with their top sources instead of one line each. */
#ifndef FINSCOPE_REPORT_FLOOD_H
#define FINSCOPE_REPORT_FLOOD_H

#include <stdio.h>

#include <glib.h>
#include "finscope/conn.h"

typedef struct FsFlood FsFlood;

FsFlood *fs_flood_new(void);
void fs_flood_free(FsFlood *flood);

/* Counts conn if it is a dropped half-open record, or any half-open one
 * once some were dropped (then TRUE: it is not listed); FALSE for any
 * other. Memory stays fixed whatever the flood: destinations and
 * sources are the heaviest hitters (space-saving). */
gboolean fs_flood_add(FsFlood *flood, const FsConn *conn);

/* The section, if anything was counted. */
void fs_flood_print(const FsFlood *flood, FILE *out);

#endif /* FINSCOPE_REPORT_FLOOD_H */
