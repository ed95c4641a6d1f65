/* Diagnostics for API misuse and dropped input. One line each on stderr,
 * prefixed so they stand out in test output. KAIROS_LOG=0 silences them. */
#include "internal.h"

#include <stdarg.h>

static int log_enabled(void)
{
    static atomic_int enabled = -1;
    int e = atomic_load_explicit(&enabled, memory_order_relaxed);
    if (e < 0) {
        const char *v = getenv("KAIROS_LOG");
        e = !(v && strcmp(v, "0") == 0);
        atomic_store_explicit(&enabled, e, memory_order_relaxed);
    }
    return e;
}

void kr__log(const char *fmt, ...)
{
    if (!log_enabled())
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "kairos: %s\n", line);
}
