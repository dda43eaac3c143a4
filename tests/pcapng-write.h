/* finscope tests: a minimal pcapng writer (libpcap 1.10 only reads pcapng). */
#ifndef FINSCOPE_TESTS_PCAPNG_WRITE_H
#define FINSCOPE_TESTS_PCAPNG_WRITE_H

#include <glib.h>

typedef struct FsPcapngWriter FsPcapngWriter;

/* Creates path ("-" is standard output) and writes a Section Header Block
 * and one Interface Description Block with if_tsresol = 9 (nanoseconds).
 * linktype is the LINKTYPE_ value stored in the file (101 for raw IP, not
 * DLT_RAW). Fails with G_FILE_ERROR. */
FsPcapngWriter *fs_pcapng_writer_open(const char *path, guint16 linktype,
                                      guint32 snaplen, GError **error);

/* Appends one Enhanced Packet Block on interface 0. */
gboolean fs_pcapng_writer_add(FsPcapngWriter *w, guint64 ts_ns,
                              const guint8 *data, guint32 caplen,
                              guint32 wirelen, GError **error);

/* Flushes and closes; reports a write error that happened at any point. */
gboolean fs_pcapng_writer_close(FsPcapngWriter *w, GError **error);

/* Closes without reporting errors (NULL-safe), for cleanup paths. */
void fs_pcapng_writer_free(FsPcapngWriter *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsPcapngWriter, fs_pcapng_writer_free)

#endif /* FINSCOPE_TESTS_PCAPNG_WRITE_H */
