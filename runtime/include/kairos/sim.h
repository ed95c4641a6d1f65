/* Simulator control: only in the sim backend (kairos_sim, KAIROS_SIM). */
#ifndef KAIROS_SIM_H
#define KAIROS_SIM_H

#include <kairos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

KR_API uint64_t kr_sim_seed(void);
/* One scheduling decision (one event served, one timer fired); time jumps
 * to the next deadline first when nothing else can run and the clock is not
 * paused. False when nothing can run or a check failed. */
KR_API bool kr_sim_step(void);
/* Steps until nothing is left, a check fails, or max_steps (0 = no limit).
 * Returns the steps taken. */
KR_API size_t kr_sim_run(size_t max_steps);
/* Steps taken since kr_init. */
KR_API uint64_t kr_sim_steps(void);
/* The first failed kr_check ("file:line: message (process id, step S, time
 * T, seed N)"), or NULL while none. */
KR_API const char *kr_sim_failure(void);
/* A hash of every decision so far (same seed => same hash). */
KR_API uint64_t kr_sim_trace_hash(void);
/* Writes the decisions so far as a schedule file. */
KR_API int kr_sim_trace_write(const char *path);
/* Follows the schedule file instead of the seed for the decisions it holds
 * (call right after kr_init). KR_EFORMAT on a malformed file. If the run
 * stops fitting the schedule, kr_sim_failure() says so. */
KR_API int kr_sim_trace_replay(const char *path);

#ifdef __cplusplus
}
#endif
#endif
