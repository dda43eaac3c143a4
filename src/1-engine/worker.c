/* finscope: a thread running jobs in order (worker.h). Two lines of
 * jobs under one lock: urgent ones (the report's blocks) go before the
 * others (batches to read) not yet started, so that output and a sync
 * wait for at most the job in hand; the thread sleeps only when both are
 * empty, and is woken only then. */
#include "config.h"

#include <glib.h>

#include "finscope/worker.h"

struct FsWorker {
    GMutex lock;
    GCond wake;         /* a job came while the thread slept */
    GQueue urgent;      /* FsJob*, in order, before ... */
    GQueue rest;        /* ... these, in order */
    gboolean sleeping;  /* the thread waits on wake */
    gboolean stop;      /* fs_worker_free(): end once both are empty */
    GThread *thread;
};

static gpointer
worker_thread(gpointer data)
{
    FsWorker *w = data;

    g_mutex_lock(&w->lock);
    for (;;) {
        FsJob *job = g_queue_pop_head(&w->urgent);

        if (job == NULL)
            job = g_queue_pop_head(&w->rest);
        if (job != NULL) {
            g_mutex_unlock(&w->lock);
            job->run(job);
            g_mutex_lock(&w->lock);
            continue;
        }
        if (w->stop)
            break;
        w->sleeping = TRUE;
        g_cond_wait(&w->wake, &w->lock);
        w->sleeping = FALSE;
    }
    g_mutex_unlock(&w->lock);
    return NULL;
}

FsWorker *
fs_worker_new(const char *name)
{
    FsWorker *w = g_new0(FsWorker, 1);

    g_mutex_init(&w->lock);
    g_cond_init(&w->wake);
    g_queue_init(&w->urgent);
    g_queue_init(&w->rest);
    w->thread = g_thread_new(name, worker_thread, w);
    return w;
}

/* wake_at: the jobs queued at which a sleeping thread is woken */
static void
push(FsWorker *w, FsJob *job, gboolean urgent, guint wake_at)
{
    g_return_if_fail(w != NULL && job != NULL && job->run != NULL);
    g_mutex_lock(&w->lock);
    g_queue_push_tail(urgent ? &w->urgent : &w->rest, job);
    if (w->sleeping &&
        w->urgent.length + w->rest.length >= MAX(wake_at, 1u))
        g_cond_signal(&w->wake);
    g_mutex_unlock(&w->lock);
}

void
fs_worker_push(FsWorker *worker, FsJob *job)
{
    push(worker, job, FALSE, 1);
}

void
fs_worker_push_lazy(FsWorker *worker, FsJob *job, guint wake_at)
{
    push(worker, job, FALSE, wake_at);
}

void
fs_worker_push_urgent(FsWorker *worker, FsJob *job)
{
    push(worker, job, TRUE, 1);
}

void
fs_worker_push_urgent_lazy(FsWorker *worker, FsJob *job, guint wake_at)
{
    push(worker, job, TRUE, wake_at);
}

void
fs_worker_kick(FsWorker *w)
{
    g_return_if_fail(w != NULL);
    g_mutex_lock(&w->lock);
    if (w->sleeping && w->urgent.length + w->rest.length > 0)
        g_cond_signal(&w->wake);
    g_mutex_unlock(&w->lock);
}

void
fs_worker_free(FsWorker *worker)
{
    if (worker == NULL)
        return;
    g_mutex_lock(&worker->lock);
    worker->stop = TRUE;
    if (worker->sleeping)
        g_cond_signal(&worker->wake);
    g_mutex_unlock(&worker->lock);
    g_thread_join(worker->thread);
    g_mutex_clear(&worker->lock);
    g_cond_clear(&worker->wake);
    g_free(worker);
}

gpointer
fs_worker_pop(FsWorker *worker, GAsyncQueue *queue)
{
    gpointer item = g_async_queue_try_pop(queue);

    if (item != NULL)
        return item;
    fs_worker_kick(worker);
    return g_async_queue_pop(queue);
}
