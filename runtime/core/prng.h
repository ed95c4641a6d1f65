/* Pseudo-random numbers for both backends: splitmix64 to derive seeds,
 * xoshiro256** for streams. Pure functions of their state: the same seed
 * gives the same numbers on every compiler, optimisation level and run. */
#ifndef KAIROS_PRNG_H
#define KAIROS_PRNG_H

#include <stdint.h>

typedef struct kr__prng {
    uint64_t s[4];
} kr__prng;

static inline uint64_t kr__splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A stream derived from (seed, stream number): an extra draw in one stream
 * never shifts another. */
static inline void kr__prng_seed(kr__prng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull);
    for (int i = 0; i < 4; i++)
        r->s[i] = kr__splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1;
}

static inline uint64_t kr__rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t kr__prng_next(kr__prng *r)
{
    uint64_t *s = r->s;
    uint64_t result = kr__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = kr__rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n), n > 0, without modulo bias (Lemire's method). */
static inline uint64_t kr__prng_below(kr__prng *r, uint64_t n)
{
    uint64_t x = kr__prng_next(r);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            x = kr__prng_next(r);
            m = (__uint128_t)x * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

/* Uniform in [0, 1), 53 bits. */
static inline double kr__prng_unit(kr__prng *r)
{
    return (double)(kr__prng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* 64-bit mixing for trace hashes (a stafford variant of splitmix's end). */
static inline uint64_t kr__hash_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
    return h ^ (h >> 31);
}

static inline uint64_t kr__hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

#endif
