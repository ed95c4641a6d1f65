/* Probes (kr_probe): named hit counters on rare paths, kept per runtime on
 * both backends, in the order of their first hits (deterministic in the
 * simulator). Probes mark rare paths, so one lock and a linear search by
 * name are enough; each hit is also handed to the backend, for the
 * simulator's trace. */
#include "backend.h"
#include "internal.h"

#include <pthread.h>

typedef struct kr__probe {
    char *name;
    uint64_t hits;
} probe;

/* Under probes_lock. */
static probe *find(const char *name)
{
    for (size_t i = 0; i < kr__core.probes.len; i++)
        if (strcmp(kr__core.probes.items[i].name, name) == 0)
            return &kr__core.probes.items[i];
    return NULL;
}

/* Under probes_lock: the probe named `name`, added on its first hit; NULL
 * when out of memory (the hit is then lost, and logged). */
static probe *find_or_add(const char *name)
{
    probe *p = find(name);
    if (p)
        return p;
    probe *grown = kr__grow(kr__core.probes.items, &kr__core.probes.cap, kr__core.probes.len,
                            sizeof *grown, 16);
    char *copy = grown ? kr__strdup(name) : NULL;
    if (grown)
        kr__core.probes.items = grown;
    if (!copy) {
        kr__log("kr_probe: out of memory: a hit of \"%s\" is not counted", name);
        return NULL;
    }
    kr__core.probes.items[kr__core.probes.len] = (probe){copy, 0};
    return &kr__core.probes.items[kr__core.probes.len++];
}

void kr_probe(const char *name)
{
    if (!name)
        return;
    pthread_mutex_lock(&kr__core.probes.lock);
    probe *p = find_or_add(name);
    if (p)
        p->hits++;
    pthread_mutex_unlock(&kr__core.probes.lock);
    if (p)
        kr__backend_probe_hit(name);
}

uint64_t kr_probe_count(const char *name)
{
    if (!name)
        return 0;
    pthread_mutex_lock(&kr__core.probes.lock);
    probe *p = find(name);
    uint64_t hits = p ? p->hits : 0;
    pthread_mutex_unlock(&kr__core.probes.lock);
    return hits;
}

void kr_probe_each(void (*fn)(const char *name, uint64_t hits, void *ctx), void *ctx)
{
    if (!fn)
        return;
    pthread_mutex_lock(&kr__core.probes.lock);
    for (size_t i = 0; i < kr__core.probes.len; i++)
        fn(kr__core.probes.items[i].name, kr__core.probes.items[i].hits, ctx);
    pthread_mutex_unlock(&kr__core.probes.lock);
}

void kr__probes_reset(void)
{
    pthread_mutex_lock(&kr__core.probes.lock);
    for (size_t i = 0; i < kr__core.probes.len; i++)
        kr__free(kr__core.probes.items[i].name);
    kr__free(kr__core.probes.items);
    kr__core.probes.items = NULL;
    kr__core.probes.len = kr__core.probes.cap = 0;
    pthread_mutex_unlock(&kr__core.probes.lock);
}
