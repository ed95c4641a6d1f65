/* The simulator's side of a probe hit (kr_probe, counted by the core): a
 * "probe" event in the trace, with the probing process' node, so a report
 * draws it in that process' lane (an empty node would put it in none). */
#include "sim_internal.h"

void kr__backend_probe_hit(const char *name)
{
    if (!kr__sim_observing())
        return;
    kr__proc *self = kr__current_proc;
    kr_pid me = self ? self->pid : KR_PID_NONE;
    char node[24] = "";
    if (self) {
        char ip[16];
        kr__ip_format(me.ip, ip, sizeof ip);
        snprintf(node, sizeof node, "%s:%u", ip, (unsigned)me.port);
    }
    kr__sim_emit("probe", node, me.id, name, KR_PID_NONE, KR_PID_NONE, NULL, 0);
}
