/* The bug bench's actor types (bench/bugs/README.md): each file plants one
 * kind of bug, repaired when a process' args say `fixed: true`. */
#ifndef KAIROS_BENCH_BUGS_H
#define KAIROS_BENCH_BUGS_H

#include <kairos/kairos.h>
#include <kairos/scenario.h>

void bugs_register_race(void);
void bugs_register_ordering(void);
void bugs_register_timeout(void);
void bugs_register_split_brain(void);
void bugs_register_sequencer(void);
void bugs_register_liveness(void);

/* A process' `fixed` argument (default false); false on a bad value too,
 * after which the args report the error. */
bool bugs_fixed(const kr_sc_args *args);

#endif
