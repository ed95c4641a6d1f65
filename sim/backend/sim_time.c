/* Time per node: skewed, drifting clocks and stop-the-world pauses.
 *
 * A node's clock reads virtual time + offset + drift * (time since the
 * simulation started). Its processes read it through kr_clock_now(), and
 * the deadlines they set are translated back to virtual time (the one time
 * base the timer heap and the scheduler use), so a fast clock fires its
 * timers early in virtual time, as a fast crystal would.
 *
 * A paused node's runnable processes wait off the run queue ("parked", in
 * the order they became runnable) until the pause ends; timers and
 * messages for them still arrive but only queue, so nothing runs there. */
#include "sim_internal.h"


static kr__proc **parked;
static size_t parked_len, parked_cap;
static bool skewed; /* some node's clock is not virtual time */

static kr_duration elapsed(void) { return kr__sim.now - KR__SIM_EPOCH; }

kr_time kr__sim_node_clock(size_t node)
{
    const kr__sim_node *n = &kr__sim.nodes[node];
    double drifted = n->clock_drift * (double)elapsed();
    return kr__sim.now + n->clock_offset + (kr_duration)(drifted < 0 ? drifted - 0.5 : drifted + 0.5);
}

kr_time kr__backend_now(void)
{
    if (!skewed || !kr__current_proc)
        return kr__sim.now;
    return kr__sim_node_clock(kr__sim_node_here());
}

kr_time kr__backend_deadline(kr_time local)
{
    if (!skewed || !kr__current_proc || local == INT64_MAX)
        return local;
    const kr__sim_node *n = &kr__sim.nodes[kr__sim_node_here()];
    if (n->clock_offset == 0 && n->clock_drift == 0)
        return local;
    /* Solve local = t + offset + drift * (t - epoch) for the virtual t,
     * rounded up so a timer never fires before its node's clock says; in
     * double, so no far deadline overflows. */
    double since = ((double)local - (double)n->clock_offset - (double)KR__SIM_EPOCH) /
                   (1.0 + n->clock_drift);
    if (since >= 9.0e18 - (double)KR__SIM_EPOCH)
        return INT64_MAX;
    if (since <= 0)
        return kr__sim.now;
    kr_duration whole = (kr_duration)since;
    whole += (double)whole < since; /* rounded up */
    kr_time v = KR__SIM_EPOCH + whole;
    return v < kr__sim.now ? kr__sim.now : v;
}

int kr_sim_clock_skew(const char *address, kr_duration offset, double drift)
{
    if (!(drift > -0.5 && drift < 0.5)) /* NaN too */
        return KR_EINVAL;
    if (offset > KR_SIM_CLOCK_OFFSET_MAX || offset < -KR_SIM_CLOCK_OFFSET_MAX)
        return KR_ERANGE; /* clocks a century off would overflow time */
    int err;
    long i = kr__sim_node_get(address, true, &err);
    if (i < 0)
        return err;
    kr__sim_node *n = &kr__sim.nodes[i];
    n->clock_offset = offset;
    n->clock_drift = drift;
    if (offset != 0 || drift != 0)
        skewed = true;
    uint64_t bits;
    memcpy(&bits, &drift, sizeof bits);
    kr__sim_hash(kr__hash_mix((uint64_t)offset ^ 0x636c6f636bull, bits)); /* "clock" */
    char detail[64];
    snprintf(detail, sizeof detail, "offset %+.6fs drift %+g", (double)offset / 1e9, drift);
    kr__sim_emit("clock", n->address, "", detail, KR_PID_NONE, KR_PID_NONE, NULL, 0);
    return 0;
}

/* ---- pauses ---------------------------------------------------------------- */

bool kr__sim_node_paused(size_t node) { return kr__sim.nodes[node].paused_until > kr__sim.now; }

bool kr__sim_proc_paused(const kr__proc *p)
{
    long i = kr__sim_node_of_pid(p->pid);
    return i >= 0 && kr__sim_node_paused((size_t)i);
}

kr_time kr__sim_pauses_next_end(void)
{
    kr_time t = INT64_MAX;
    if (kr__sim.paused_nodes == 0)
        return t;
    for (size_t i = 0; i < kr__sim.node_count; i++)
        if (kr__sim.nodes[i].paused_until > kr__sim.now && kr__sim.nodes[i].paused_until < t)
            t = kr__sim.nodes[i].paused_until;
    return t;
}

void kr__sim_park(kr__proc *p)
{
    kr__proc **grown = kr__grow(parked, &parked_cap, parked_len, sizeof *grown, 16);
    if (!grown) {
        kr__log("sim: out of memory parking a process of a paused node");
        abort(); /* cannot lose a runnable process and stay correct */
    }
    parked = grown;
    parked[parked_len++] = p;
}

size_t kr__sim_parked(void) { return parked_len; }

bool kr__sim_unpark(kr__proc *p)
{
    for (size_t i = 0; i < parked_len; i++) {
        if (parked[i] == p) {
            memmove(&parked[i], &parked[i + 1], (parked_len - i - 1) * sizeof *parked);
            parked_len--;
            return true;
        }
    }
    return false;
}

/* Ends the pauses that are over, and requeues their nodes' processes in
 * the order they became runnable. */
void kr__sim_unpark_due(void)
{
    size_t ended = 0;
    for (size_t i = 0; i < kr__sim.node_count; i++) {
        kr__sim_node *n = &kr__sim.nodes[i];
        if (n->paused_until != 0 && n->paused_until <= kr__sim.now) { /* counted, now over */
            n->paused_until = 0;
            kr__sim.paused_nodes--;
            ended++;
            kr__sim_emit("resume", n->address, "", "", KR_PID_NONE, KR_PID_NONE, NULL, 0);
        }
    }
    if (ended == 0)
        return;
    size_t kept = 0, len = parked_len;
    parked_len = 0;
    for (size_t i = 0; i < len; i++) {
        kr__proc *p = parked[i];
        if (kr__sim_proc_paused(p))
            parked[kept++] = p;
        else
            kr__sim_requeue(p);
    }
    parked_len = kept;
}

int kr_sim_pause(const char *address, kr_duration d)
{
    if (d < 0)
        return KR_EINVAL;
    int err;
    long i = kr__sim_node_get(address, true, &err);
    if (i < 0)
        return err;
    kr__sim_node *n = &kr__sim.nodes[i];
    if (!n->up || d == 0)
        return 0; /* nothing runs there anyway */
    kr_time until = d > INT64_MAX - kr__sim.now ? INT64_MAX : kr__sim.now + d;
    if (until <= n->paused_until)
        return 0;
    if (n->paused_until == 0)
        kr__sim.paused_nodes++;
    n->paused_until = until;
    kr__sim_hash(0x7061757365ull ^ (uint64_t)until); /* "pause" */
    char detail[32];
    snprintf(detail, sizeof detail, "%.6fs", (double)d / 1e9);
    kr__sim_emit("pause", n->address, "", detail, KR_PID_NONE, KR_PID_NONE, NULL, 0);
    kr__sim_park_node((size_t)i);
    return 0;
}

void kr__sim_time_reset(void)
{
    kr__free(parked);
    parked = NULL;
    parked_len = parked_cap = 0;
    skewed = false;
}
