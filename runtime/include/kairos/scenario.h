/* Scenario actor types, actions and invariants: what user C code registers
 * so that YAML scenarios (scenarios/FORMAT.md) can spawn and check it.
 * Simulator only (kairos_sim). */
#ifndef KAIROS_SCENARIO_H
#define KAIROS_SCENARIO_H

#include <kairos/kairos.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The YAML arguments of one process (a mapping), read through typed
 * accessors. A missing key gives the default and 0; a present key of the
 * wrong type or out of range is reported as "file:line:col: message" and
 * makes the accessor return KR_EINVAL (the scenario then fails to load). */
typedef struct kr_sc_args kr_sc_args;

KR_API int kr_sc_int(const kr_sc_args *a, const char *key, int64_t min, int64_t max,
                     int64_t def, int64_t *out);
/* "250ms", "2s", "1m", "10us", "5ns", or a bare number of ns. */
/* A workload count (requests, records, rounds) the shrinker may lower: read
 * as kr_sc_int, then scaled by the run's workload share, which is 100% in
 * every run except `kairos shrink`'s candidates (and the shrunk traces they
 * write), never below min. */
KR_API int kr_sc_count(const kr_sc_args *a, const char *key, int64_t min, int64_t max,
                       int64_t def, int64_t *out);
KR_API int kr_sc_duration(const kr_sc_args *a, const char *key, kr_duration def,
                          kr_duration *out);
/* The string stays valid for the run. */
KR_API int kr_sc_string(const kr_sc_args *a, const char *key, const char *def,
                        const char **out);
KR_API int kr_sc_bool(const kr_sc_args *a, const char *key, bool def, bool *out);
/* Declares `key` required: when the process has no such argument, reports
 * "file:line:col: process 'ID' (type T) needs argument 'KEY'" at the process
 * and returns KR_EINVAL (so the scenario fails `kairos check` and `run`);
 * 0 when present. */
KR_API int kr_sc_require(const kr_sc_args *a, const char *key);
/* A process of the scenario named by "name" (its id) or "name@node"; the
 * pid of that process on its node. */
KR_API int kr_sc_pid(const kr_sc_args *a, const char *key, kr_pid *out);
/* A list of scalars: its length (0 if missing; a present non-list is an
 * error), and item i as text/pid. */
KR_API size_t kr_sc_list_len(const kr_sc_args *a, const char *key);
KR_API int kr_sc_list_string(const kr_sc_args *a, const char *key, size_t i,
                             const char **out);
KR_API int kr_sc_list_pid(const kr_sc_args *a, const char *key, size_t i, kr_pid *out);

/* Builds a process of this type with the given id (already a valid id);
 * returns it initialized with kr_process_init (the scenario spawns it,
 * managed) or NULL after reporting why through the accessors. */
typedef kr_process *(*kr_actor_new_fn)(const char *id, const kr_sc_args *args);
KR_API int kr_actor_register(const char *type, kr_actor_new_fn make, const char *help);
/* A named action a scenario can dispatch to a process of this type. */
KR_API int kr_action_register(const char *type, const char *action, kr_fn fn);
/* An invariant: true when it holds; on false, write why into `why`. It is
 * evaluated after every step, on the driving thread, between events. */
typedef bool (*kr_invariant_fn)(char *why, size_t why_len);
KR_API int kr_invariant_register(const char *name, kr_invariant_fn check, const char *help);

/* Looking at the live processes from an invariant: calls fn for every live
 * process of `type` (NULL = all), in spawn order. */
KR_API void kr_sc_each(const char *type,
                       void (*fn)(kr_process *p, const char *type, void *ctx), void *ctx);

/* Probes (kr_probe, kr_sometimes) are in <kairos/probe.h>, on both
 * backends. */

/* The kairos command with the types registered so far (and the built-in
 * ones). A user's own runner: register types, then
 * `return kr_scenario_main(argc, argv);`. */
KR_API int kr_scenario_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
