/* The public clock API: argument checks here, the clock itself in the
 * backend (wall or virtual time). */
#include "backend.h"
#include "internal.h"

kr_time kr_clock_now(void) { return kr__backend_now(); }

void kr_clock_pause(void) { kr__backend_pause(); }

void kr_clock_resume(void) { kr__backend_resume(); }

bool kr_clock_paused(void) { return kr__backend_paused(); }

void kr_clock_update(kr_time t)
{
    if (!kr__backend_paused()) {
        kr__log("kr_clock_update: the clock is not paused; ignored");
        return;
    }
    if (t > kr__backend_now())
        kr__backend_advance_to(t);
}

void kr_clock_advance(kr_duration d)
{
    if (!kr__backend_paused()) {
        kr__log("kr_clock_advance: the clock is not paused; ignored");
        return;
    }
    if (d <= 0)
        return;
    kr_time now = kr__backend_now();
    kr__backend_advance_to(kr__time_after(now, d));
}

void kr_clock_settle(void)
{
    if (kr__inside_process("kr_clock_settle") || !atomic_load(&kr__is_running))
        return;
    kr__backend_settle();
}
