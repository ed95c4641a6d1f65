/* Internal to the sim backend: the priority strategies (PCT, POS) that
 * scheduler.c asks which entity runs next (priority.c). */
#ifndef KAIROS_SIM_PRIORITY_H
#define KAIROS_SIM_PRIORITY_H

#include "sim_internal.h"

/* PCT's k when nobody measured the run's length (kr_config.pct_steps and
 * KAIROS_PCT_STEPS unset): runs much shorter than this degrade PCT. */
#define KR__PCT_STEPS_DEFAULT 2000u

/* Draws the change points (PCT) and the timer entity's priority. */
void kr__priority_start(int depth, uint64_t steps);
void kr__priority_stop(void);
/* PCT: whether the send-th message between nodes is one of the d-1 that
 * take their link's largest latency. */
bool kr__priority_slow_send(uint64_t send);
/* Priority slots: 0 means "not drawn yet". A process' slot is its
 * sched_index. A link slot is NULL when out of memory. */
uint32_t *kr__priority_timer_slot(void);
uint32_t *kr__priority_link_slot(size_t link);
/* Picks the option with the highest priority among n (> 0) slots and
 * applies the strategy's change (PCT change point, POS redraw). */
uint32_t kr__priority_choose(uint32_t *const *slots, uint32_t n);

#endif
