/* The single allocation wrapper. KAIROS_FAIL_ALLOC_AFTER=N (or
 * kr__alloc_fail_after) makes the allocation after N successful ones fail,
 * so tests can check that out-of-memory paths return KR_ENOMEM and leak
 * nothing. */
#include "internal.h"

static atomic_long fail_countdown = -1; /* < 0: never fail */

void kr__alloc_fail_after(long n) { atomic_store(&fail_countdown, n); }

static bool should_fail(void)
{
    long c = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    if (c < 0)
        return false;
    return atomic_fetch_sub(&fail_countdown, 1) == 0;
}

/* For allocators built on top (event pools): true if this allocation must fail. */
bool kr__alloc_should_fail(void) { return should_fail(); }

void *kr__malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }

void *kr__calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *kr__realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }

char *kr__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = kr__malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void kr__free(void *p) { free(p); }
