/* The process table.
 *
 * Slots live in fixed chunks that never move, so a sender holding a pid can
 * reach its process without a lock: pid.kr_slot/kr_gen cache the slot (as
 * libprocess' UPID caches a weak reference). A sender takes a reference on
 * the slot, re-checks the generation, enqueues and drops the reference;
 * termination closes the slot and waits for references to drain, so a
 * process is never freed while someone is enqueueing to it.
 *
 * Ids map to slots through an open-addressing hash table guarded by the
 * table lock; it is used for pids that arrive as text and for spawn's
 * duplicate check. Nothing iterates it, so hash order never shows. */
#include "backend.h"
#include "internal.h"

#include <pthread.h>
#include <sched.h>

#define SLOT_NONE UINT32_MAX
#define CHUNK_BITS 12
#define CHUNK_SLOTS (1u << CHUNK_BITS)

typedef struct kr__slot {
    _Atomic(kr__proc *) proc; /* NULL once closed */
    kr__proc *owner;          /* set until removed; table lock */
    _Atomic uint32_t gen;
    _Atomic uint32_t refs;
} slot;

/* id -> slot map: open addressing, linear probing, backward-shift delete. */
typedef struct kr__table_entry {
    uint64_t hash; /* 0 = empty */
    uint32_t slot;
} entry;

/* Ids are unique per address (in the simulator many nodes share one
 * table), so the key is id plus address. The id is read 8 bytes at a time
 * up to its NUL (as same_id below; bytes after the NUL are masked off, they
 * may be anything): spawn and exit hash every id, and a byte loop was ~55
 * instructions for "(123456)". A final mix spreads every byte over the low
 * bits, which pick the map slot. */
/* "(N)", the id of an unnamed process: N, else 0 (also for "(0)", which
 * kr__id_generate_anon never makes). */
static uint64_t anon_number(const char *id)
{
    if (id[0] != '(' || id[1] < '1' || id[1] > '9')
        return 0;
    uint64_t n = 0;
    size_t i = 1;
    for (; id[i] >= '0' && id[i] <= '9'; i++) {
        if (i > 19)
            return 0; /* over 19 digits: not one we made */
        n = n * 10 + (uint64_t)(id[i] - '0');
    }
    return id[i] == ')' && id[i + 1] == '\0' ? n : 0;
}

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33; /* murmur3's final mix */
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_pid(const kr_pid *pid)
{
    /* Unnamed processes get consecutive numbers, and processes spawned
     * together (skynet's ten children, a loop of workers) tend to exit
     * together: runs of 4 numbers share one randomly placed block of 4
     * entries (64 bytes), so their inserts and removes mostly hit a
     * line just touched instead of one random line each - the map's cache
     * misses were ~25% of skynet's wall time. Blocks of 16 gained no more
     * wall time and lengthened linear-probing clusters (+16% instructions
     * against +7% with 4). */
    uint64_t n = anon_number(pid->id);
    if (n) {
        uint64_t h = mix64((n >> 2) ^ mix64(((uint64_t)pid->ip << 16) | pid->port)) << 2 | (n & 3);
        return h ? h : 1;
    }
    uint64_t h = 1469598103934665603ull;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (size_t i = 0; i < KR_ID_MAX + 1; i += 8) {
        uint64_t w;
        memcpy(&w, pid->id + i, 8);
        uint64_t zero = (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
        if (zero)
            w &= zero ^ (zero - 1);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
        if (zero)
            break;
    }
#else
    for (const char *s = pid->id; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
#endif
    h ^= ((uint64_t)pid->ip << 16) | pid->port;
    h = mix64(h);
    return h ? h : 1; /* 0 marks an empty map entry */
}

static slot *slot_at(uint32_t s)
{
    if (s == SLOT_NONE || (s >> CHUNK_BITS) >= KR__CHUNKS_MAX)
        return NULL;
    slot *c = atomic_load_explicit(&kr__core.table.chunks[s >> CHUNK_BITS], memory_order_acquire);
    return c ? &c[s & (CHUNK_SLOTS - 1)] : NULL;
}

/* Ids compared 8 bytes at a time up to the first NUL (bytes after it may
 * differ): every send checks its target's id, ~4 instructions a byte with
 * a byte loop. In a little-endian word the lowest flag of the zero-byte
 * test (x - 0x01..) & ~x & 0x80.. is exact, so the mask below covers the
 * bytes up to and including the NUL. */
static inline bool same_id(const char *x, const char *y)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (size_t i = 0; i < KR_ID_MAX + 1; i += 8) {
        uint64_t a, b;
        memcpy(&a, x + i, 8);
        memcpy(&b, y + i, 8);
        uint64_t zero = (a - 0x0101010101010101ull) & ~a & 0x8080808080808080ull;
        if (zero)
            return ((a ^ b) & (zero ^ (zero - 1))) == 0;
        if (a != b)
            return false;
    }
    return false; /* no NUL in KR_ID_MAX + 1 bytes: not an id */
#else
    while (*x == *y) {
        if (!*x)
            return true;
        x++;
        y++;
    }
    return false;
#endif
}
_Static_assert((KR_ID_MAX + 1) % 8 == 0, "same_id reads the id in 8-byte words");

static inline bool same_pid(const kr_pid *a, const kr_pid *b)
{
    return a->ip == b->ip && a->port == b->port && same_id(a->id, b->id);
}

static long map_find(const kr_pid *pid, uint64_t h)
{
    if (kr__core.table.map_cap == 0)
        return -1;
    for (size_t i = h & (kr__core.table.map_cap - 1);; i = (i + 1) & (kr__core.table.map_cap - 1)) {
        if (kr__core.table.map[i].hash == 0)
            return -1;
        if (kr__core.table.map[i].hash == h &&
            same_pid(&slot_at(kr__core.table.map[i].slot)->owner->pid, pid))
            return (long)i;
    }
}

/* The entry of slot s (hash h): a process removing itself knows its slot,
 * so the probe compares numbers instead of following each candidate to its
 * process for an id comparison. */
static long map_find_slot(uint32_t s, uint64_t h)
{
    if (kr__core.table.map_cap == 0)
        return -1;
    for (size_t i = h & (kr__core.table.map_cap - 1);; i = (i + 1) & (kr__core.table.map_cap - 1)) {
        if (kr__core.table.map[i].hash == 0)
            return -1;
        if (kr__core.table.map[i].slot == s)
            return (long)i;
    }
}

static int map_grow(void)
{
    size_t cap = kr__core.table.map_cap ? kr__core.table.map_cap * 2 : 1024;
    entry *m = kr__calloc(cap, sizeof *m);
    if (!m)
        return KR_ENOMEM;
    for (size_t i = 0; i < kr__core.table.map_cap; i++) {
        if (kr__core.table.map[i].hash == 0)
            continue;
        size_t j = kr__core.table.map[i].hash & (cap - 1);
        while (m[j].hash)
            j = (j + 1) & (cap - 1);
        m[j] = kr__core.table.map[i];
    }
    kr__free(kr__core.table.map);
    kr__core.table.map = m;
    kr__core.table.map_cap = cap;
    return 0;
}

static void map_delete(size_t i)
{
    size_t mask = kr__core.table.map_cap - 1;
    kr__core.table.map[i].hash = 0;
    for (size_t j = (i + 1) & mask; kr__core.table.map[j].hash; j = (j + 1) & mask) {
        size_t home = kr__core.table.map[j].hash & mask;
        /* Move j back into the hole at i if its home is not in (i, j]. */
        bool between = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            kr__core.table.map[i] = kr__core.table.map[j];
            kr__core.table.map[j].hash = 0;
            i = j;
        }
    }
    kr__core.table.map_len--;
}

static int take_slot(uint32_t *out)
{
    if (kr__core.table.free_len > 0) {
        *out = kr__core.table.free_slots[--kr__core.table.free_len];
        return 0;
    }
    uint32_t s = kr__core.table.slots_used;
    if ((s >> CHUNK_BITS) >= KR__CHUNKS_MAX)
        return KR_ENOSPC;
    if ((s & (CHUNK_SLOTS - 1)) == 0 && !atomic_load(&kr__core.table.chunks[s >> CHUNK_BITS])) {
        slot *c = kr__calloc(CHUNK_SLOTS, sizeof *c); /* chunk 0 may be kept from a reset */
        if (!c)
            return KR_ENOMEM;
        atomic_store_explicit(&kr__core.table.chunks[s >> CHUNK_BITS], c, memory_order_release);
    }
    kr__core.table.slots_used++;
    *out = s;
    return 0;
}

static int give_back_slot(uint32_t s)
{
    uint32_t *f = kr__grow(kr__core.table.free_slots, &kr__core.table.free_cap,
                           kr__core.table.free_len, sizeof *f, 256);
    if (!f)
        return KR_ENOMEM; /* the slot just stays unused */
    kr__core.table.free_slots = f;
    kr__core.table.free_slots[kr__core.table.free_len++] = s;
    return 0;
}

int kr__table_insert(kr__proc *p)
{
    uint64_t h = hash_pid(&p->pid);
    pthread_mutex_lock(&kr__core.table.lock);
    int rc = 0;
    uint32_t s;
    size_t i = 0;
    if ((kr__core.table.map_len + 1) * 2 > kr__core.table.map_cap && (rc = map_grow()) != 0)
        rc = map_find(&p->pid, h) >= 0 ? KR_EEXIST : rc;
    if (rc == 0) {
        /* One probe: the duplicate check and the free entry at its end. */
        size_t mask = kr__core.table.map_cap - 1;
        for (i = h & mask; kr__core.table.map[i].hash; i = (i + 1) & mask) {
            if (kr__core.table.map[i].hash == h &&
                same_pid(&slot_at(kr__core.table.map[i].slot)->owner->pid, &p->pid)) {
                rc = KR_EEXIST;
                break;
            }
        }
    }
    if (rc == 0)
        rc = take_slot(&s);
    if (rc == 0) {
        slot *sl = slot_at(s);
        kr__core.table.map[i] = (entry){.hash = h, .slot = s};
        kr__core.table.map_len++;
        sl->owner = p;
        uint32_t gen = atomic_load(&sl->gen) + 1;
        if (gen == 0)
            gen = 1;
        atomic_store(&sl->gen, gen);
        p->pid.kr_slot = s;
        p->pid.kr_gen = gen;
        atomic_store(&sl->proc, p);
        atomic_fetch_add(&kr__core.table.live, 1);
    }
    pthread_mutex_unlock(&kr__core.table.lock);
    return rc;
}

/* Fills pid's slot cache from its id when it came from text. */
static bool resolve(kr_pid *pid)
{
    if (pid->kr_slot != SLOT_NONE && slot_at(pid->kr_slot))
        return true;
    pthread_mutex_lock(&kr__core.table.lock);
    long i = map_find(pid, hash_pid(pid));
    if (i >= 0) {
        pid->kr_slot = kr__core.table.map[i].slot;
        pid->kr_gen = atomic_load(&slot_at(kr__core.table.map[i].slot)->gen);
    }
    pthread_mutex_unlock(&kr__core.table.lock);
    return i >= 0;
}

kr__proc *kr__table_acquire_ref(const kr_pid *pid)
{
    if (!kr__backend_hosts(pid->ip, pid->port))
        return NULL;
    uint32_t s = pid->kr_slot, gen = pid->kr_gen;
    if (s == SLOT_NONE || !slot_at(s)) {
        kr_pid copy = *pid;
        if (!resolve(&copy))
            return NULL;
        s = copy.kr_slot;
        gen = copy.kr_gen;
    }
    slot *sl = slot_at(s);
#if KR__ONE_THREAD
    /* One thread (core.h): nobody can close the slot between this lookup
     * and the caller's release, so no reference is counted. */
    kr__proc *p = atomic_load_explicit(&sl->proc, memory_order_relaxed);
    if (!p || atomic_load_explicit(&sl->gen, memory_order_relaxed) != gen || !same_pid(&p->pid, pid))
        return NULL;
#else
    atomic_fetch_add(&sl->refs, 1);
    kr__proc *p = atomic_load(&sl->proc);
    if (!p || atomic_load(&sl->gen) != gen || !same_pid(&p->pid, pid)) {
        atomic_fetch_sub(&sl->refs, 1);
        return NULL;
    }
#endif
    return p;
}

kr__proc *kr__table_acquire(kr_pid pid) { return kr__table_acquire_ref(&pid); }

void kr__table_release(kr__proc *p)
{
#if KR__ONE_THREAD
    (void)p; /* no reference was counted */
#else
    atomic_fetch_sub_explicit(&slot_at(p->pid.kr_slot)->refs, 1, memory_order_release);
#endif
}

/* A worker's send reference (pass 4): a process that sends many messages
 * to one pid in a turn (fanout: 10^6 from one handler) paid an atomic
 * increment and decrement on the target slot per message. On a real-backend
 * worker (kr__table_send_cache set by workers.c; never in the simulator or
 * on other threads) the reference taken by a send is kept for the rest of
 * the turn and reused by later sends to the same process. It is only kept
 * from the second send in a row to one process, so a turn that sends once
 * (pingpong, ring: -8..15% when every send filled the cache) pays one
 * pointer compare over the plain reference. It is dropped
 * when the turn ends (workers.c calls kr__table_send_cache_drop before the
 * worker takes other work or sleeps), when a send goes to another process,
 * when the target starts closing (the next send sees the slot's proc
 * cleared and drops it, so a closer waits at most until then or the end of
 * the turn), and by kr__table_close on this thread (a process terminating
 * in its own turn must not wait for a reference its own thread holds, to
 * itself or to a peer terminating at the same time). */
KR__TLS bool kr__table_send_cache;
static KR__TLS slot *cache_slot;
KR__TLS kr__proc *kr__table_cached; /* workers.c tests it before dropping */
/* The previous send's target (uncached). Only compared, never followed, and
 * not reset per turn: caching on a "second send" across turns is harmless. */
static KR__TLS kr__proc *last_sent;
static KR__TLS uint32_t cache_gen, cache_slot_index;
/* The target's address and id, copied here so the check per send reads no
 * line of the target's (which its consumer writes) and compares the id
 * with one memcmp of a known length instead of a byte loop. */
static KR__TLS uint32_t cache_ip;
static KR__TLS uint16_t cache_port;
static KR__TLS size_t cache_id_size; /* strlen + 1 */
static KR__TLS char cache_id[KR_ID_MAX + 1];

void kr__table_send_cache_drop(void)
{
    if (kr__table_cached) {
        atomic_fetch_sub_explicit(&cache_slot->refs, 1, memory_order_release);
        kr__table_cached = NULL;
        cache_slot = NULL;
    }
}

/* kr__table_acquire_ref for a send; *release says whether the caller must
 * kr__table_release the result (false: the turn's cached reference). */
kr__proc *kr__table_acquire_send(const kr_pid *pid, bool *release)
{
#if KR__ONE_THREAD
    *release = false; /* nothing to release (kr__table_acquire_ref) */
    return kr__table_acquire_ref(pid);
#endif
    kr__proc *c = kr__table_cached;
    if (c) {
        if (pid->kr_slot == cache_slot_index && pid->kr_gen == cache_gen && pid->ip == cache_ip &&
            pid->port == cache_port && memcmp(pid->id, cache_id, cache_id_size) == 0) {
            if (atomic_load_explicit(&cache_slot->proc, memory_order_acquire) == c) {
                *release = false;
                return c;
            }
            kr__table_send_cache_drop(); /* closing: let the closer go on */
        }
    }
    kr__proc *p = kr__table_acquire_ref(pid);
    *release = true;
    if (p && kr__table_send_cache) {
        if (p != last_sent) {
            last_sent = p; /* the first send to p in a row: not worth caching */
            return p;
        }
        kr__table_send_cache_drop();
        cache_slot = slot_at(p->pid.kr_slot);
        kr__table_cached = p;
        cache_gen = p->pid.kr_gen;
        cache_slot_index = p->pid.kr_slot;
        cache_ip = p->pid.ip;
        cache_port = p->pid.port;
        cache_id_size = strlen(p->pid.id) + 1;
        memcpy(cache_id, p->pid.id, cache_id_size);
        *release = false;
    }
    return p;
}

void kr__table_close(kr__proc *p)
{
    kr__table_send_cache_drop();
    slot *sl = slot_at(p->pid.kr_slot);
    atomic_store(&sl->proc, NULL);
    /* A sender that saw the process holds a reference for a few
     * instructions; wait those out so nothing enqueues after our drain. */
    while (atomic_load(&sl->refs) != 0)
        sched_yield();
}

void kr__table_remove(kr__proc *p)
{
    uint32_t s = p->pid.kr_slot;
    uint64_t h = hash_pid(&p->pid); /* outside the lock */
    pthread_mutex_lock(&kr__core.table.lock);
    long i = map_find_slot(s, h);
    if (i >= 0)
        map_delete((size_t)i);
    slot *sl = slot_at(s);
    sl->owner = NULL;
    atomic_fetch_add(&sl->gen, 1); /* stale pids stop matching */
    give_back_slot(s);
    atomic_fetch_sub(&kr__core.table.live, 1);
    pthread_mutex_unlock(&kr__core.table.lock);
}

bool kr__table_alive(kr_pid pid)
{
    if (!kr__backend_hosts(pid.ip, pid.port) || !resolve(&pid))
        return false;
    return atomic_load(&slot_at(pid.kr_slot)->gen) == pid.kr_gen;
}

kr__pid_state kr__table_state(kr_pid *pid)
{
    if (!kr__backend_hosts(pid->ip, pid->port) || !resolve(pid))
        return KR__PID_UNKNOWN;
    uint32_t gen = atomic_load(&slot_at(pid->kr_slot)->gen);
    if (gen == pid->kr_gen)
        return KR__PID_ALIVE;
    /* Generations only grow: a newer one means ours ended. */
    return pid->kr_gen != 0 && (int32_t)(gen - pid->kr_gen) > 0 ? KR__PID_ENDED : KR__PID_UNKNOWN;
}

size_t kr__table_live(void) { return atomic_load(&kr__core.table.live); }

void kr__table_each(void (*fn)(kr__proc *p, void *ctx), void *ctx)
{
    pthread_mutex_lock(&kr__core.table.lock);
    for (uint32_t s = 0; s < kr__core.table.slots_used; s++) {
        slot *sl = slot_at(s);
        if (sl->owner)
            fn(sl->owner, ctx);
    }
    pthread_mutex_unlock(&kr__core.table.lock);
}

/* Back to empty, as after the first calloc. A sweep resets twice per seed
 * (kr_init, kr_finalize), so what a small run used is kept and cleared
 * rather than freed and allocated again: the first chunk (only its used
 * slots are cleared; calloc'ing its 96 KiB was a third of a three-node
 * seed), the id map when empty (every remove leaves its entry empty), and
 * the free-slot stack. Only the chunks in use are visited. */
void kr__table_reset(void)
{
    pthread_mutex_lock(&kr__core.table.lock);
    uint32_t used = kr__core.table.slots_used;
    size_t chunks = used ? ((size_t)(used - 1) >> CHUNK_BITS) + 1 : 0;
    for (size_t c = 1; c < chunks; c++) {
        slot *chunk = atomic_exchange(&kr__core.table.chunks[c], NULL);
        kr__free(chunk);
    }
    slot *first = atomic_load(&kr__core.table.chunks[0]);
    if (first)
        memset(first, 0, (used < CHUNK_SLOTS ? used : CHUNK_SLOTS) * sizeof *first);
    if (kr__core.table.map_len != 0) { /* processes left behind: start afresh */
        kr__free(kr__core.table.map);
        kr__core.table.map = NULL;
        kr__core.table.map_cap = kr__core.table.map_len = 0;
    }
    kr__core.table.free_len = 0;
    kr__core.table.slots_used = 0;
    atomic_store(&kr__core.table.live, 0);
    pthread_mutex_unlock(&kr__core.table.lock);
}
