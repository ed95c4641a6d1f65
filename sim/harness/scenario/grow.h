/* What the harness provides itself rather than reach into the runtime's
 * internals for (grow.c): its one growable-array helper, used by the
 * loader, the runner, the reports and the kairos command, and its
 * diagnostics. */
#ifndef KAIROS_HARNESS_GROW_H
#define KAIROS_HARNESS_GROW_H

#include <kairos/common.h>

#include <stddef.h>

/* The contract of kr__grow in the core: items with room for at least
 * len + 1, doubling from first_cap; NULL on overflow or out of memory,
 * leaving items and *cap as they were. */
void *kr__sc_grow(void *items, size_t *cap, size_t len, size_t item_size, size_t first_cap);

/* Room for at least `need` items in *items: kr__sc_grow until there is
 * (byte buffers that take many items at once). False when out of memory;
 * *items and *cap then describe what was reached, still valid. */
bool kr__sc_reserve(void **items, size_t *cap, size_t need, size_t item_size, size_t first_cap);

/* A diagnostic on stderr, "kairos: ..." as the runtime writes them
 * (KAIROS_LOG=0 silences both). */
void kr__sc_log(const char *fmt, ...) KR_PRINTF(1, 2);

#endif
