/* The clock: one global time, pausable for tests as libprocess' Clock is.
 *
 * While paused, time moves only through kr_clock_advance/kr_clock_update and
 * every timer whose deadline is at or before the new time fires (in deadline
 * order, ties in creation order). While running, the real backend follows the
 * wall clock; the sim backend jumps virtual time to the next deadline
 * whenever nothing else can run. */
#ifndef KAIROS_CLOCK_H
#define KAIROS_CLOCK_H

#include <kairos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

KR_API kr_time kr_clock_now(void);
KR_API void kr_clock_pause(void);
KR_API void kr_clock_resume(void);
KR_API bool kr_clock_paused(void);
/* Only while paused (otherwise logged and ignored); negative d is ignored. */
KR_API void kr_clock_advance(kr_duration d);
/* Moves paused time forward to t; a t in the past is ignored. */
KR_API void kr_clock_update(kr_time t);
/* Blocks until no process has an event queued or running and no timer is due
 * at the current time. Only from outside processes. */
KR_API void kr_clock_settle(void);

#ifdef __cplusplus
}
#endif
#endif
