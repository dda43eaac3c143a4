/* finscope: check verdicts for machines — a TAP stream and JUnit XML. */
#ifndef FINSCOPE_VERDICT_H
#define FINSCOPE_VERDICT_H

#include <glib.h>

typedef enum {
    FS_VERDICT_BASELINE,      /* the baseline as a whole */
    FS_VERDICT_BASELINE_ITEM, /* one differing group of baseline lines */
    FS_VERDICT_ASSERTION,     /* one --assert or --policy line */
    FS_VERDICT_CAPTURE,       /* the capture itself: a file cut short */
} FsVerdictKind;

/* One check and its outcome. */
typedef struct {
    FsVerdictKind kind;
    char *name;     /* one line, stable across runs: "resets == 0" */
    gboolean passed;
    char *message;  /* one line for people: "resets == 0 fails: ..." */
    char *details;  /* more lines (the diff, the connections), or NULL */
} FsVerdict;

FsVerdict *fs_verdict_new(FsVerdictKind kind, const char *name,
                          gboolean passed, const char *message,
                          const char *details);
void fs_verdict_free(FsVerdict *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsVerdict, fs_verdict_free)

/* TAP: the plan, then "ok N - NAME" or "not ok N - NAME" per verdict;
 * a failure's message and details follow as "# " diagnostics. */
char *fs_verdict_tap(GPtrArray *verdicts);

/* JUnit XML as the Ant/Jenkins schema has it (tests/junit.xsd): one
 * <testsuite> named suite holding one <testcase> per verdict, with a
 * <failure message="..."> for each failure and the message of a pass in
 * <system-out>. properties are NULL-ended name, value pairs (may be
 * NULL). */
char *fs_verdict_junit(GPtrArray *verdicts, const char *suite,
                       const char *const *properties);

#endif /* FINSCOPE_VERDICT_H */
