/* finscope: the report's way to stdout — a bounded queue and a writer
 * thread, so that a stalled reader never stalls the capture. */
#ifndef FINSCOPE_WRITER_H
#define FINSCOPE_WRITER_H

#include <stdio.h>

#include <glib.h>

/* Bytes of report the queue holds before lines are dropped. */
#define FS_WRITER_QUEUE_BYTES (1024 * 1024)

typedef struct FsWriter FsWriter;

/* A writer of fd (not closed) through a queue of at most max_bytes. */
FsWriter *fs_writer_new(int fd, gsize max_bytes);

/* The stream to write the report to; line-buffered. A line that does not
 * fit in the queue is dropped whole and counted; the first drop is said
 * once on stderr. Writing to it never blocks on fd. */
FILE *fs_writer_file(FsWriter *writer);

/* Lines dropped so far because the queue was full. */
guint64 fs_writer_dropped_lines(FsWriter *writer);

/* Flushes the stream and waits up to timeout_ms for fd to take the
 * queue. FALSE with FS_ERROR_WRITE if fd failed or did not take it in
 * time (the rest is then abandoned). */
gboolean fs_writer_drain(FsWriter *writer, guint timeout_ms, GError **error);

/* Closes the stream; what fs_writer_drain() did not write is discarded.
 * A thread still stuck in write() is left behind
 * with the queue it holds (the process is about to exit). */
void fs_writer_free(FsWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsWriter, fs_writer_free)

#endif /* FINSCOPE_WRITER_H */
