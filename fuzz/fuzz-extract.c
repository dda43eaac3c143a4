/* finscope fuzzing: turns capture files into decode-target seed inputs.
 *
 * Usage: fuzz-extract OUTDIR FILE...
 * Writes each frame of each file as OUTDIR/NAME-N: one byte naming the
 * file's link type (its index in fuzz-links.h), then the captured bytes.
 * Files of a link type the decoder does not know are skipped. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <pcap/pcap.h>

#include "fuzz-links.h"

static int
link_index(int linktype)
{
    for (gsize i = 0; i < FUZZ_N_LINKS; i++) {
        if (fuzz_links[i] == linktype)
            return (int)i;
    }
    return -1;
}

static gboolean
write_frame(const char *outdir, const char *path, guint n, guint8 mode,
            const guint8 *bytes, guint32 caplen)
{
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *name = g_strdup_printf("%s-%u", base, n);
    g_autofree char *out = g_build_filename(outdir, name, NULL);
    g_autoptr(GByteArray) buf = g_byte_array_sized_new(caplen + 1);
    g_autoptr(GError) error = NULL;

    g_byte_array_append(buf, &mode, 1);
    g_byte_array_append(buf, bytes, caplen);
    if (!g_file_set_contents(out, (const char *)buf->data, buf->len,
                             &error)) {
        fprintf(stderr, "fuzz-extract: %s\n", error->message);
        return FALSE;
    }
    return TRUE;
}

static gboolean
extract(const char *outdir, const char *path)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pcap = pcap_open_offline(path, errbuf);
    struct pcap_pkthdr *hdr = NULL;
    const u_char *bytes = NULL;
    gboolean ok = TRUE;
    int idx;

    if (pcap == NULL) {
        fprintf(stderr, "fuzz-extract: %s: %s\n", path, errbuf);
        return FALSE;
    }
    idx = link_index(pcap_datalink(pcap));
    for (guint n = 0; ok && idx >= 0 &&
                      pcap_next_ex(pcap, &hdr, &bytes) == 1; n++) {
        guint8 mode = (guint8)idx;

        if (hdr->caplen < hdr->len)
            mode |= FUZZ_DECODE_CUT;
        ok = write_frame(outdir, path, n, mode, bytes, hdr->caplen);
    }
    pcap_close(pcap);
    return ok;
}

int
main(int argc, char **argv)
{
    int status = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: fuzz-extract OUTDIR FILE...\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (!extract(argv[1], argv[i]))
            status = 1;
    }
    return status;
}
