/* finscope: --extract and --ladder, a second pass over the capture files
 * for the connections a first pass picked. */
#ifndef FINSCOPE_EXTRACT_H
#define FINSCOPE_EXTRACT_H

#include "cli.h"

/* finscope -r FILE... --extract SELECTOR -w OUT: writes the packets of
 * the chosen connections to OUT (pcap). Returns the exit status. */
int fs_extract_run(const FsCliOptions *opts);

/* finscope -r FILE... --ladder ID: draws connection ID on stdout.
 * Returns the exit status. */
int fs_ladder_run(const FsCliOptions *opts);

#endif /* FINSCOPE_EXTRACT_H */
