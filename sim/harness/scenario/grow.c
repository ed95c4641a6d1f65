/* Small services the harness provides itself rather than reach into the
 * runtime's internals for (scenario_internal.h): its one growable-array
 * helper (the loader, the runner and the reports grow their arrays through
 * it) and its diagnostics. */
#include "scenario_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

bool kr__sc_reserve(void **items, size_t *cap, size_t need, size_t item_size, size_t first_cap)
{
    while (*cap < need) {
        void *grown = kr__sc_grow(*items, cap, *cap, item_size, first_cap);
        if (!grown)
            return false;
        *items = grown;
    }
    return true;
}

void kr__sc_log(const char *fmt, ...)
{
    const char *quiet = getenv("KAIROS_LOG");
    if (quiet && strcmp(quiet, "0") == 0)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "kairos: %s\n", line);
}
