/* The single allocation wrapper. kr_testing_fail_alloc_after(n) makes every
 * allocation after n more successful ones fail, so tests can check that
 * out-of-memory paths return KR_ENOMEM and leak nothing. */
#include "internal.h"

void kr_testing_fail_alloc_after(long n)
{
    atomic_store(&kr__core.alloc.failing, false);
    atomic_store(&kr__core.alloc.fail_countdown, n);
}

bool kr_testing_alloc_failed(void) { return atomic_load(&kr__core.alloc.failing); }

static bool should_fail(void)
{
    if (atomic_load_explicit(&kr__core.alloc.failing, memory_order_relaxed))
        return true;
    long c = atomic_load_explicit(&kr__core.alloc.fail_countdown, memory_order_relaxed);
    if (c < 0)
        return false;
    if (atomic_fetch_sub(&kr__core.alloc.fail_countdown, 1) > 0)
        return false;
    atomic_store(&kr__core.alloc.failing, true); /* from now on, until reset */
    return true;
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

void *kr__grow(void *items, size_t *cap, size_t len, size_t item_size, size_t first_cap)
{
    if (len < *cap)
        return items;
    size_t n = *cap ? *cap * 2 : first_cap;
    if (n < *cap || n > SIZE_MAX / item_size)
        return NULL;
    void *grown = kr__realloc(items, n * item_size);
    if (grown)
        *cap = n;
    return grown;
}
