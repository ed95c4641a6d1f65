/* Shared definitions for every Kairos header: export macro, time types and
 * error codes. Included by <kairos/kairos.h>; not meant to be used alone. */
#ifndef KAIROS_COMMON_H
#define KAIROS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define KR_API __attribute__((visibility("default")))
#define KR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define KR_API
#define KR_PRINTF(fmt, args)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Nanoseconds since the Unix epoch (real) or since the simulation's start
 * epoch (sim), and nanosecond durations. */
typedef int64_t kr_time;
typedef int64_t kr_duration;

#define KR_NSEC(n) ((kr_duration)(n))
#define KR_USEC(n) ((kr_duration)(n) * 1000LL)
#define KR_MSEC(n) ((kr_duration)(n) * 1000000LL)
#define KR_SEC(n) ((kr_duration)(n) * 1000000000LL)
/* A timeout that never expires. */
#define KR_FOREVER ((kr_duration)INT64_MAX)

/* Error codes: every fallible function returns 0 or one of these (negative).
 * One table yields the enum and kr_strerror(). */
#define KR_ERRNO_MAP(X)                                                        \
    X(EINVAL, -1, "invalid argument")                                          \
    X(ENOMEM, -2, "out of memory")                                             \
    X(EEXIST, -3, "already exists")                                            \
    X(ENOENT, -4, "no such process or entry")                                  \
    X(ESTATE, -5, "not allowed in the current state")                          \
    X(ERANGE, -6, "value out of range")                                        \
    X(ENAMETOOLONG, -7, "name too long")                                       \
    X(ETIMEDOUT, -8, "timed out")                                              \
    X(EIO, -9, "input/output error")                                           \
    X(ENOSPC, -10, "buffer too small")                                         \
    X(EFORMAT, -11, "malformed input")

typedef enum kr_errno {
#define KR__ERRNO_ENUM(name, value, text) KR_##name = (value),
    KR_ERRNO_MAP(KR__ERRNO_ENUM)
#undef KR__ERRNO_ENUM
} kr_errno;

/* A static, human-readable description of a KR_E* code (or of 0). */
KR_API const char *kr_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
