/* finscope: the FS_ERROR GError domain. */
#include "config.h"

#include <glib.h>

#include "finscope/error.h"

G_DEFINE_QUARK(finscope-error-quark, fs_error)
