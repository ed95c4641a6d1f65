/* The one grammar for numbers, durations and booleans written by people:
 * scenario fields, actor arguments (kr_sc_*), kairos command-line flags and
 * KAIROS_* environment variables all read their values through these, so a
 * value means the same wherever it is written (scenarios/FORMAT.md,
 * "Values").
 *
 *   integer   0 | [1-9][0-9]* | 0x[0-9a-fA-F]+   (no leading zeros: "010"
 *             is refused rather than read as octal 8 or decimal 10;
 *             signed ones may start with '-'; no '+', no spaces)
 *   duration  decimal digits (same rule), an optional fraction, then a
 *             unit: ns, us, ms, s, m or h; a bare number is nanoseconds
 *   boolean   true | false (exactly; not yes/no, not True)
 *
 * Each returns 0, KR_EINVAL for malformed text (out untouched) or KR_ERANGE
 * for a well-formed number that does not fit. */
#ifndef KAIROS_PARSE_H
#define KAIROS_PARSE_H

#include <kairos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

KR_API int kr_parse_u64(const char *text, uint64_t *out);
KR_API int kr_parse_i64(const char *text, int64_t *out);
KR_API int kr_parse_bool(const char *text, bool *out);
/* "250ms", "1.5s", "2m", "42" (ns); never negative. */
KR_API int kr_parse_duration(const char *text, kr_duration *out);

#ifdef __cplusplus
}
#endif
#endif
