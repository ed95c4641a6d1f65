/* kr_random, kr_buggify and kr_check: thin wrappers over the backend, which
 * owns every source of randomness. */
#include "backend.h"
#include "internal.h"

#include <stdarg.h>

uint64_t kr_random(void) { return kr__backend_random(); }

bool kr_buggify_at(double p, const char *file, int line)
{
    if (!(p > 0.0) || !atomic_load(&kr__is_running))
        return false;
    return kr__backend_buggify(p > 1.0 ? 1.0 : p, file ? file : "?", line);
}

bool(kr_buggify)(double p) { return kr_buggify_at(p, "?", 0); }

void kr_check_fail(const char *file, int line, const char *fmt, ...)
{
    char text[384], msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt ? fmt : "check failed", ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s:%d: %s", file ? file : "?", line, text);
    KR__COUNT(check_failures);
    kr__backend_check_failed(msg);
}

uint64_t kr_check_failures(void) { return atomic_load(&kr__stats.check_failures); }
