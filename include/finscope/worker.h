/* finscope: a thread that runs jobs one at a time, in the order they
 * were queued. The reader's batches and the report stage's blocks share
 * one (main.c), so that two threads, not three, keep two CPUs busy. */
#ifndef FINSCOPE_WORKER_H
#define FINSCOPE_WORKER_H

#include <glib.h>

typedef struct FsJob FsJob;

/* A job: placed first in the caller's own struct, which run() gets back
 * by a cast. It runs in the worker's thread; until then, the struct is
 * the worker's. */
struct FsJob {
    void (*run)(FsJob *job);
};

typedef struct FsWorker FsWorker;

/* A worker, its thread (named name) started. */
FsWorker *fs_worker_new(const char *name);

/* Queues job: the worker runs it after every job queued before it, from
 * any thread. Never blocks; a job must not wait for a later one. */
void fs_worker_push(FsWorker *worker, FsJob *job);

/* Queues job before every job of fs_worker_push() not yet started, after
 * the urgent ones queued before it: the report's blocks, which then wait
 * for at most the batch being read (from a pipe, that may take a
 * while). */
void fs_worker_push_urgent(FsWorker *worker, FsJob *job);

/* Runs every job queued, stops the thread and frees the worker. NULL is
 * ignored. */
void fs_worker_free(FsWorker *worker);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FsWorker, fs_worker_free)

#endif /* FINSCOPE_WORKER_H */
