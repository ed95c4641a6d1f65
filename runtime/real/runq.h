/* Run queues of the real backend: one small interface, two implementations
 * (see RUNQ.md). The worker loop in workers.c owns the per-worker "next"
 * slot; a run queue only holds processes that are runnable and in no next
 * slot. Every process in a queue has pending > 0 and is in exactly one
 * place (a queue, a next slot, or running), as process.c's contract says. */
#ifndef KAIROS_RUNQ_H
#define KAIROS_RUNQ_H

#include "real.h"

typedef struct kr__runq_ops {
    const char *name;
    /* Sets up an empty queue for `workers` workers (0..workers-1). */
    int (*init)(int workers);
    /* Queues p. self: the calling worker's index, or -1 from any other
     * thread. wake: the caller will not run p itself next, so an idle
     * worker should be woken if there is one (pushes from outside the
     * workers always wake). */
    void (*push)(int self, kr__proc *p, bool wake);
    /* Takes a process for worker self; with wait, blocks while nothing is
     * queued. NULL when stopped and empty (or empty, without wait). */
    kr__proc *(*pop)(int self, bool wait);
    /* A hint: something is queued that worker self would take. */
    bool (*nonempty)(int self);
    /* From now on pop(wait) returns NULL once the queue is empty. */
    void (*stop)(void);
    void (*fini)(void); /* after every worker has exited */
} kr__runq_ops;

extern const kr__runq_ops kr__runq_locked;
extern const kr__runq_ops kr__runq_lockfree;

static inline kr__proc *kr__proc_of_link(kr__node *n)
{
    return (kr__proc *)(void *)((char *)n - offsetof(kr__proc, sched_link));
}

#endif
