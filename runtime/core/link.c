/* Links: exited(who) to every linker when a process ends.
 *
 * Link lists live with the linked-to process and are guarded by one lock:
 * links are rare next to messages, and one lock makes "link vs. terminate"
 * simple — a link made after the target's list was closed gets its exited
 * event at once instead of being lost. */
#include "backend.h"
#include "internal.h"

#include <pthread.h>

struct kr__links {
    uint32_t len, cap;
    bool closed;
    kr_pid linkers[];
};

void kr__send_exited(kr_pid to, kr_pid who)
{
    kr__event *e = kr__event_new(KR__EV_EXITED, 0, 0);
    if (!e)
        return;
    e->u.exited.who = who;
    kr__deliver(to, e);
}

/* Drops linkers that have ended: their exited would go nowhere, and a
 * long-lived process linked to by many short-lived ones must not grow
 * without bound. Linkers this table does not know are kept. */
static void prune_ended(kr__links *l)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < l->len; i++) {
        kr_pid linker = l->linkers[i];
        if (kr__table_state(&linker) != KR__PID_ENDED)
            l->linkers[kept++] = l->linkers[i];
    }
    l->len = kept;
}

/* Adds linker to p's list; false if p's list is closed (p is ending). */
static bool add_linker(kr__proc *p, kr_pid linker)
{
    kr__links *l = p->links;
    if (l && l->closed)
        return false;
    for (uint32_t i = 0; l && i < l->len; i++) {
        if (kr_pid_equal(l->linkers[i], linker)) {
            /* The same id may be a newer incarnation (respawned after the
             * old one ended): its pid, not the old one's, must hear. */
            l->linkers[i] = linker;
            return true;
        }
    }
    if (l && l->len == l->cap)
        prune_ended(l); /* before growing: room may come from ended linkers */
    if (!l || l->len == l->cap) {
        uint32_t cap = l ? l->cap * 2 : 2;
        kr__links *grown = kr__realloc(l, sizeof *l + cap * sizeof l->linkers[0]);
        if (!grown) {
            kr__log("kr_link(%s -> %s): out of memory; the link is lost", linker.id, p->pid.id);
            return true;
        }
        if (!l) {
            grown->len = 0;
            grown->closed = false;
        }
        grown->cap = cap;
        p->links = l = grown;
    }
    l->linkers[l->len++] = linker;
    return true;
}

void kr_link(kr_process *self, kr_pid to)
{
    if (!self || kr_pid_is_none(to)) {
        kr__log("kr_link: %s", self ? "KR_PID_NONE target" : "NULL process");
        return;
    }
    kr_pid me = kr_self(self);
    if (kr_pid_equal(me, to)) {
        kr__log("kr_link(%s): a process cannot link to itself", me.id);
        return;
    }
    if (kr__backend_remote(&me, &to)) {
        kr__backend_link_remote(me, to);
        return;
    }
    if (!kr__link_add(me, to))
        kr__send_exited(me, to); /* not running: exited at once */
}

bool kr__link_add(kr_pid linker, kr_pid to)
{
    pthread_mutex_lock(&kr__core.links.lock);
    kr__proc *target = kr__table_acquire(to);
    bool linked = target && add_linker(target, linker);
    if (target)
        kr__table_release(target);
    pthread_mutex_unlock(&kr__core.links.lock);
    return linked;
}

void kr__links_notify(kr__proc *p)
{
    /* Most processes are never linked to: skip the global lock. Every
     * kr__link_add that reached p finished before kr__table_close returned
     * (it held a table reference while adding), so its store is visible;
     * later ones cannot reach p. */
    if (!atomic_load_explicit(&p->links, memory_order_acquire))
        return;
    pthread_mutex_lock(&kr__core.links.lock);
    kr__links *l = p->links;
    p->links = NULL;
    pthread_mutex_unlock(&kr__core.links.lock);
    /* kr__table_close already stopped acquires, so no new linker can be
     * added to p after this point; late links get exited at once. */
    for (uint32_t i = 0; l && i < l->len; i++)
        kr__send_exited(l->linkers[i], p->pid);
    kr__free(l);
}
