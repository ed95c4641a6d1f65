/* Internal to the real backend: what its files share. */
#ifndef KAIROS_REAL_H
#define KAIROS_REAL_H

#include "backend.h"

/* Processes queued or running, plus the timer thread while it fires. When
 * it drops to zero the runtime may be settled. */
extern atomic_long kr__real_busy;
void kr__real_busy_done(void); /* decrement; wakes settle at zero */

/* Resolves kr_config.workers / KAIROS_WORKERS and .runq / KAIROS_RUNQ for
 * the next start (kr__backend_configure). */
int kr__real_workers_configure(const kr_config *c);
int kr__real_workers_start(void);
void kr__real_workers_stop(void);
int kr__real_clock_start(void);
void kr__real_clock_stop(void);
kr_time kr__real_wall_now(void);

#endif
