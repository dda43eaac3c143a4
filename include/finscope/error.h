/* finscope: the GError domain for failures at the edges. */
#ifndef FINSCOPE_ERROR_H
#define FINSCOPE_ERROR_H

#include <glib.h>

#define FS_ERROR (fs_error_quark())
GQuark fs_error_quark(void);

typedef enum {
    FS_ERROR_OPEN,      /* a capture file or device could not be opened */
    FS_ERROR_FORMAT,    /* not a capture, or a corrupt capture file */
    FS_ERROR_LINKTYPE,  /* a link type finscope does not decode */
    FS_ERROR_FILTER,    /* a BPF expression did not compile */
    FS_ERROR_USAGE,     /* a bad option or argument */
    FS_ERROR_WRITE,     /* output could not be written */
} FsError;

#endif /* FINSCOPE_ERROR_H */
