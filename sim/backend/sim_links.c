/* Links between processes on different nodes.
 *
 * A remote link is not kept in the target's own link list (as a local one
 * is): it lives here, as a connection between two machines would, so its
 * end travels the network. When the target ends, or its node crashes, the
 * linker's exited(target) follows the data already in flight on that link,
 * after latency (a closed or reset connection); when the node loses power
 * no reset comes, and the linker learns only after the failure-detection
 * delay; a cut between the two ends it at once. Each link records the
 * linker's and the target's incarnations (their pids as spawned), so a
 * process that starts after its node restarts and links again has a link
 * of its own. */
#include "sim_internal.h"

typedef struct remote_link {
    kr_pid linker, to; /* with their spawn-time lookup caches: one incarnation each */
} remote_link;

static remote_link *rlinks;
static size_t rlink_count, rlink_cap;

void kr__sim_links_reset(void)
{
    kr__free(rlinks);
    rlinks = NULL;
    rlink_count = rlink_cap = 0;
}

static bool cut_between(long a, long b) { return kr__sim.cut[a][b] || kr__sim.cut[b][a]; }

static bool same_incarnation(kr_pid a, kr_pid b)
{
    return kr_pid_equal(a, b) && a.kr_gen == b.kr_gen && a.kr_slot == b.kr_slot;
}

void kr__backend_link_remote(kr_pid linker, kr_pid to)
{
    long a = kr__sim_node_of_pid(linker), b = kr__sim_node_of_pid(to);
    kr__proc *target = a >= 0 && b >= 0 && kr__sim.nodes[b].up && !cut_between(a, b)
                           ? kr__table_acquire(to)
                           : NULL;
    if (!target) {
        kr__send_exited(linker, to); /* nobody answers there */
        return;
    }
    kr_pid resolved = target->pid; /* this incarnation of the target */
    kr__table_release(target);
    kr__proc *self = kr__table_acquire(linker);
    if (self) {
        linker = self->pid; /* this incarnation of the linker */
        kr__table_release(self);
    }
    for (size_t i = 0; i < rlink_count; i++)
        if (same_incarnation(rlinks[i].linker, linker) && same_incarnation(rlinks[i].to, resolved))
            return; /* linked already */
    remote_link *grown = kr__grow(rlinks, &rlink_cap, rlink_count, sizeof *grown, 16);
    if (!grown) {
        kr__log("kr_link(%s -> %s): out of memory; the link is lost", linker.id, to.id);
        return;
    }
    rlinks = grown;
    rlinks[rlink_count++] = (remote_link){linker, resolved};
}

/* The end of r reaches its linker: after the latency of the target's link
 * to it, behind what is in flight; silent: after the detection delay. */
static void report_end(const remote_link *r, bool silent)
{
    long a = kr__sim_node_of_pid(r->linker), b = kr__sim_node_of_pid(r->to);
    kr_duration after = silent ? kr__sim.detection_delay
                               : kr__sim_net_latency_draw((size_t)b, (size_t)a);
    kr_time at = after > INT64_MAX - kr__sim.now ? INT64_MAX : kr__sim.now + after;
    kr__sim_net_exited(r->linker, r->to, at);
}

void kr__sim_links_node_down(size_t node, bool silent)
{
    size_t kept = 0;
    for (size_t i = 0; i < rlink_count; i++) {
        remote_link r = rlinks[i];
        if (kr__sim_node_of_pid(r.to) == (long)node && kr__table_alive(r.linker))
            report_end(&r, silent);
        else
            rlinks[kept++] = r;
    }
    rlink_count = kept;
}

void kr__sim_links_check(void)
{
    kr__sim.process_ended = false;
    size_t kept = 0;
    for (size_t i = 0; i < rlink_count; i++) {
        remote_link r = rlinks[i];
        if (!kr__table_alive(r.linker))
            continue; /* the linker ended: nobody to tell */
        long a = kr__sim_node_of_pid(r.linker), b = kr__sim_node_of_pid(r.to);
        if (cut_between(a, b)) {
            kr__send_exited(r.linker, r.to);
        } else if (!kr__table_alive(r.to)) {
            report_end(&r, false); /* it terminated: the connection closes */
        } else {
            rlinks[kept++] = r;
        }
    }
    rlink_count = kept;
}
