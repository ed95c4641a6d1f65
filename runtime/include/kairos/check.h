/* Randomness, fault points and assertions, on both backends. */
#ifndef KAIROS_CHECK_H
#define KAIROS_CHECK_H

#include <kairos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Seeded in sim (its own stream, so scheduling draws do not shift it),
 * OS-seeded in real. */
KR_API uint64_t kr_random(void);

/* FoundationDB's BUGGIFY. In sim, each call site (file:line) is enabled for
 * a seed with probability 1/4; an enabled site returns true with probability
 * p. Always false on the real backend. */
KR_API bool kr_buggify_at(double p, const char *file, int line);
/* The function form (for taking its address) counts as one shared site. */
KR_API bool(kr_buggify)(double p);
#define kr_buggify(p) kr_buggify_at((p), __FILE__, __LINE__)

/* A failed check: in sim the first one fails the run (kr_sim_failure());
 * in real it is logged and counted (kr_check_failures()). */
KR_API void kr_check_fail(const char *file, int line, const char *fmt, ...) KR_PRINTF(3, 4);
#define kr_check(cond, ...)                                                    \
    do {                                                                       \
        if (!(cond))                                                           \
            kr_check_fail(__FILE__, __LINE__, __VA_ARGS__);                    \
    } while (0)
KR_API uint64_t kr_check_failures(void);

#ifdef __cplusplus
}
#endif
#endif
