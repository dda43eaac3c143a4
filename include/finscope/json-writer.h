/* finscope: a small streaming JSON writer into a GString. */
#ifndef FINSCOPE_JSON_WRITER_H
#define FINSCOPE_JSON_WRITER_H

#include <glib.h>

/* Writes one JSON value at a time; commas and escaping are its job. */
typedef struct {
    GString *out;      /* text written so far */
    guint depth;       /* nesting depth */
    guint64 first_bits;/* bit d set: no member written yet at depth d */
} FsJson;

void fs_json_init(FsJson *j, GString *out);
void fs_json_begin_object(FsJson *j);
void fs_json_end_object(FsJson *j);
void fs_json_begin_array(FsJson *j);
void fs_json_end_array(FsJson *j);
/* Inside an object: the member name of the next value. */
void fs_json_key(FsJson *j, const char *key);
/* The same for a name written as a string literal with nothing to
 * escape: copied as it is, its length known at compile time. */
#define FS_JSON_KEY(j, literal) \
    fs_json_key_plain((j), "" literal "", sizeof(literal) - 1)
void fs_json_key_plain(FsJson *j, const char *key, gsize len);
void fs_json_string(FsJson *j, const char *s); /* NULL writes null */
void fs_json_int(FsJson *j, gint64 v);
void fs_json_uint(FsJson *j, guint64 v);
void fs_json_bool(FsJson *j, gboolean v);
void fs_json_null(FsJson *j);
/* Nanosecond time as epoch seconds with 9 decimals. */
void fs_json_time(FsJson *j, gint64 ns);

#endif /* FINSCOPE_JSON_WRITER_H */
