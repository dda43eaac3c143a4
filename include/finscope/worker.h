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

/* Queues job as fs_worker_push() does, but wakes a sleeping worker only
 * once wake_at jobs wait in its line (at least 1): waking a thread costs
 * the waker a few microseconds in the kernel (on a virtual machine an
 * interrupt to the other CPU), once a batch when the worker keeps ahead.
 * The caller that then waits for one of those jobs calls
 * fs_worker_kick() first. */
void fs_worker_push_lazy(FsWorker *worker, FsJob *job, guint wake_at);

/* fs_worker_push_urgent() waking a sleeping worker only once wake_at
 * jobs wait, as fs_worker_push_lazy() does. */
void fs_worker_push_urgent_lazy(FsWorker *worker, FsJob *job,
                                guint wake_at);

/* Wakes the worker if it sleeps with jobs queued. */
void fs_worker_kick(FsWorker *worker);

/* Pops from queue, which worker's jobs fill: at once if it holds one,
 * else after waking worker (the jobs that would fill it may wait
 * unwoken, fs_worker_push_lazy()). */
gpointer fs_worker_pop(FsWorker *worker, GAsyncQueue *queue);

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
