/* The harness' one growable-array helper (scenario_internal.h): the loader,
 * the runner and the reports grow their arrays through it. */
#include "scenario_internal.h"

#include <stdlib.h>

void *kr__sc_grow(void *items, size_t *cap, size_t len, size_t item_size, size_t first_cap)
{
    if (len < *cap)
        return items;
    size_t n = *cap ? *cap * 2 : first_cap;
    if (n < *cap || n <= len || n > SIZE_MAX / item_size)
        return NULL;
    void *grown = realloc(items, n * item_size);
    if (grown)
        *cap = n;
    return grown;
}
