/* finscope tests: a minimal pcapng writer (SHB, one IDB, EPBs). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "pcapng-write.h"

/* Block types and option codes from the pcapng specification
 * (draft-ietf-opsawg-pcapng), section 4 and 4.2. */
#define SHB_TYPE 0x0A0D0D0Au
#define IDB_TYPE 0x00000001u
#define EPB_TYPE 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define OPT_ENDOFOPT 0
#define OPT_IF_TSRESOL 9

struct FsPcapngWriter {
    FILE *fp;         /* output stream; stdout for "-" */
    char *path;       /* for error messages */
    gboolean failed;  /* a write has failed; reported by close */
    int saved_errno;  /* errno of the first failed write */
};

/* Blocks are written in the writer's byte order; readers tell it from the
 * SHB byte-order magic. */
static void
put_u16(GByteArray *b, guint16 v)
{
    g_byte_array_append(b, (const guint8 *)&v, sizeof v);
}

static void
put_u32(GByteArray *b, guint32 v)
{
    g_byte_array_append(b, (const guint8 *)&v, sizeof v);
}

static void
put_padding(GByteArray *b)
{
    static const guint8 zeros[4] = { 0, 0, 0, 0 };

    g_byte_array_append(b, zeros, (4 - b->len % 4) % 4);
}

/* Fills in the leading length and appends the trailing one. */
static void
finish_block(GByteArray *b)
{
    guint32 total = b->len + 4;

    memcpy(b->data + 4, &total, sizeof total);
    put_u32(b, total);
}

static void
write_block(FsPcapngWriter *w, GByteArray *b)
{
    finish_block(b);
    if (!w->failed && fwrite(b->data, 1, b->len, w->fp) != b->len) {
        w->failed = TRUE;
        w->saved_errno = errno;
    }
}

static void
write_headers(FsPcapngWriter *w, guint16 linktype, guint32 snaplen)
{
    g_autoptr(GByteArray) shb = g_byte_array_new();
    g_autoptr(GByteArray) idb = g_byte_array_new();

    put_u32(shb, SHB_TYPE);
    put_u32(shb, 0);                /* block length, set by finish_block */
    put_u32(shb, BYTE_ORDER_MAGIC);
    put_u16(shb, 1);                /* major version */
    put_u16(shb, 0);                /* minor version */
    put_u32(shb, 0xFFFFFFFFu);      /* section length -1: not given */
    put_u32(shb, 0xFFFFFFFFu);
    write_block(w, shb);

    put_u32(idb, IDB_TYPE);
    put_u32(idb, 0);
    put_u16(idb, linktype);
    put_u16(idb, 0);                /* reserved */
    put_u32(idb, snaplen);
    put_u16(idb, OPT_IF_TSRESOL);   /* if_tsresol = 9: units of 10^-9 s */
    put_u16(idb, 1);
    g_byte_array_append(idb, (const guint8 *)"\x09", 1);
    put_padding(idb);
    put_u16(idb, OPT_ENDOFOPT);
    put_u16(idb, 0);
    write_block(w, idb);
}

FsPcapngWriter *
fs_pcapng_writer_open(const char *path, guint16 linktype, guint32 snaplen,
                      GError **error)
{
    gboolean is_stdout = strcmp(path, "-") == 0;
    FILE *fp = is_stdout ? stdout : fopen(path, "wb");
    FsPcapngWriter *w = NULL;

    if (fp == NULL) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "%s: %s", path, g_strerror(saved));
        return NULL;
    }
    w = g_new0(FsPcapngWriter, 1);
    w->fp = fp;
    w->path = g_strdup(path);
    write_headers(w, linktype, snaplen);
    return w;
}

gboolean
fs_pcapng_writer_add(FsPcapngWriter *w, guint64 ts_ns, const guint8 *data,
                     guint32 caplen, guint32 wirelen, GError **error)
{
    g_autoptr(GByteArray) epb = g_byte_array_sized_new(caplen + 36);

    put_u32(epb, EPB_TYPE);
    put_u32(epb, 0);
    put_u32(epb, 0);                        /* interface id */
    put_u32(epb, (guint32)(ts_ns >> 32));   /* timestamp, high word */
    put_u32(epb, (guint32)ts_ns);           /* timestamp, low word */
    put_u32(epb, caplen);
    put_u32(epb, wirelen);
    g_byte_array_append(epb, data, caplen);
    put_padding(epb);
    write_block(w, epb);
    if (w->failed) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(
                        w->saved_errno), "%s: %s", w->path,
                    g_strerror(w->saved_errno));
        return FALSE;
    }
    return TRUE;
}

static void
writer_close_stream(FsPcapngWriter *w)
{
    int rc = w->fp == stdout ? fflush(w->fp) : fclose(w->fp);

    if (rc != 0 && !w->failed) {
        w->failed = TRUE;
        w->saved_errno = errno;
    }
    w->fp = NULL;
}

gboolean
fs_pcapng_writer_close(FsPcapngWriter *w, GError **error)
{
    gboolean ok;

    g_return_val_if_fail(w != NULL, FALSE);
    writer_close_stream(w);
    ok = !w->failed;
    if (!ok)
        g_set_error(error, G_FILE_ERROR,
                    g_file_error_from_errno(w->saved_errno), "%s: %s",
                    w->path, g_strerror(w->saved_errno));
    fs_pcapng_writer_free(w);
    return ok;
}

void
fs_pcapng_writer_free(FsPcapngWriter *w)
{
    if (w == NULL)
        return;
    if (w->fp != NULL)
        writer_close_stream(w);
    g_free(w->path);
    g_free(w);
}
