/* Probes: marks on rare paths (FoundationDB's CODE_PROBE), on both
 * backends, so actor code uses them unchanged. Each hit counts per runtime
 * (since the last kr_init; still readable after kr_finalize). The simulator
 * also puts a "probe" event in the trace, and a scenario sweep reports the
 * counts per run and can require some probes to be hit (scenarios/FORMAT.md);
 * the real backend lists them as "kairos/probe/<name>" in /metrics/snapshot. */
#ifndef KAIROS_PROBE_H
#define KAIROS_PROBE_H

#include <kairos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Counts one hit of `name` (NULL is ignored). Any thread; a name is copied
 * on its first hit. */
KR_API void kr_probe(const char *name);
#define kr_sometimes(cond, name)                                               \
    do {                                                                       \
        if (cond)                                                              \
            kr_probe(name);                                                    \
    } while (0)

/* Hits of `name` since the last kr_init (0 if never hit). */
KR_API uint64_t kr_probe_count(const char *name);
/* Calls fn(name, hits, ctx) for every probe hit since the last kr_init, in
 * the order of their first hits. fn must not call kr_probe. */
KR_API void kr_probe_each(void (*fn)(const char *name, uint64_t hits, void *ctx), void *ctx);

#ifdef __cplusplus
}
#endif
#endif
