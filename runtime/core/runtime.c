/* Runtime lifecycle: configuration (struct and environment), init and
 * finalize, this node's address, counters. */
#include "backend.h"
#include "internal.h"
#include "http_internal.h"

#include <inttypes.h>

atomic_bool kr__is_running;
atomic_bool kr__finalizing;
uint32_t kr__local_ip;
uint16_t kr__local_port;
kr__counters kr__stats;

kr__core_state kr__core = {
    .table = {.lock = PTHREAD_MUTEX_INITIALIZER},
    .timers = {.lock = PTHREAD_MUTEX_INITIALIZER, .next_seq = 1},
    .testing = {.lock_once = PTHREAD_ONCE_INIT,
                .expectations_tail = &kr__core.testing.expectations},
    .ids = {.lock = PTHREAD_MUTEX_INITIALIZER},
    .links = {.lock = PTHREAD_MUTEX_INITIALIZER},
    .events = {.parked_lock = PTHREAD_MUTEX_INITIALIZER},
    .counters = {.key_once = PTHREAD_ONCE_INIT},
    .alloc = {.fail_countdown = -1},
    .http = {.settings_lock = PTHREAD_MUTEX_INITIALIZER, .routes_lock = PTHREAD_RWLOCK_INITIALIZER},
    .probes = {.lock = PTHREAD_MUTEX_INITIALIZER},
};

void kr__core_reset(void)
{
    kr__counters_reset();
    /* since kr_init too, so the sim's snapshot depends only on the seed */
    atomic_store(&kr__http_stat_requests, 0);
    kr__probes_reset();
    kr__ids_reset();
    kr__testing_reset();
    kr__timers_clear();
    kr__table_reset();
}

const char *kr_backend(void) { return kr__backend_name; }

bool kr_running(void) { return atomic_load(&kr__is_running); }

/* KAIROS_* numbers are read with the one grammar of kairos/parse.h. */
int kr__config_int(const char *name, const char *text, long min, long max, long *out)
{
    int64_t v;
    if (kr_parse_i64(text, &v) != 0 || v < min || v > max) {
        kr__log("kr_init: %s=\"%s\" is not an integer in [%ld, %ld] (decimal without leading "
                "zeros, or 0x hex)",
                name, text, min, max);
        return KR_EINVAL;
    }
    *out = (long)v;
    return 0;
}

int kr__config_u64(const char *name, const char *text, uint64_t *out)
{
    if (kr_parse_u64(text, out) != 0) {
        kr__log("kr_init: %s=\"%s\" is not an unsigned integer (decimal without leading "
                "zeros, or 0x hex)",
                name, text);
        return KR_EINVAL;
    }
    return 0;
}

/* The fields the core itself uses (this node's address): the caller's
 * value if set, else the environment's, else the default. Invalid values
 * are errors wherever they come from. The backend's own fields are
 * kr__backend_configure's. */
static int resolve_config(const kr_config *in, kr__config *out)
{
    kr_config c = in ? *in : (kr_config){0};
    const char *v;
    long n;
    int rc;
    const char *ip = c.ip ? c.ip : getenv("KAIROS_IP");
    out->ip = 0x7f000001u;
    if (ip && kr__ip_parse(ip, &out->ip) != 0) {
        kr__log("kr_init: ip \"%s\" is not a dotted IPv4 address", ip);
        return KR_EINVAL;
    }
    out->port = c.port;
    if (c.port < -1 || c.port > 65535) {
        kr__log("kr_init: port=%d out of range [-1, 65535]", c.port);
        return KR_EINVAL;
    }
    if (c.port == 0 && (v = getenv("KAIROS_PORT")) != NULL) {
        if ((rc = kr__config_int("KAIROS_PORT", v, -1, 65535, &n)) != 0)
            return rc;
        out->port = (int)n;
    }
    return 0;
}

int kr_init(const kr_config *cfg)
{
    if (atomic_load(&kr__is_running)) {
        kr__log("kr_init: the runtime is already running");
        return KR_ESTATE;
    }
    kr__config c;
    int rc = resolve_config(cfg, &c);
    if (rc == 0)
        rc = kr__backend_configure(cfg);
    if (rc == 0)
        rc = kr__bound_configure();
    if (rc != 0)
        return rc;
    kr__core_reset();
    kr__local_ip = c.ip;
    kr__local_port = c.port > 0 ? (uint16_t)c.port : 0;
    atomic_store(&kr__finalizing, false);
    rc = kr__backend_start(&c);
    if (rc != 0)
        return rc;
    atomic_store(&kr__is_running, true);
    return 0;
}

typedef struct pid_list {
    kr_pid *items;
    size_t len, cap;
} pid_list;

static void collect_pid(kr__proc *p, void *ctx)
{
    pid_list *l = ctx;
    kr_pid *grown = kr__grow(l->items, &l->cap, l->len, sizeof *grown, 64);
    if (!grown)
        return; /* the next sweep picks it up */
    l->items = grown;
    l->items[l->len++] = p->pid;
}

static bool none_alive(void *ctx)
{
    (void)ctx;
    return kr__table_live() == 0;
}

void kr_finalize(void)
{
    if (!atomic_load(&kr__is_running) || kr__inside_process("kr_finalize"))
        return;
    atomic_store(&kr__finalizing, true);
    kr__testing_reset();
    kr__timers_clear();
    /* Terminate everything (queued events first, as libprocess does) until
     * nothing is left; finalize() callbacks cannot spawn (spawn refuses). */
    for (int sweep = 0; kr__table_live() > 0; sweep++) {
        pid_list l = {0};
        kr__table_each(collect_pid, &l);
        for (size_t i = 0; i < l.len; i++)
            kr_terminate(l.items[i], false);
        kr__free(l.items);
        if (!kr__backend_block_until(KR__WAIT_PROCESS, none_alive, NULL, KR_SEC(1)) && sweep >= 30) {
            kr__log("kr_finalize: %zu processes did not terminate; giving up on them",
                    kr__table_live());
            break;
        }
        kr__timers_clear(); /* delays made by finalize() callbacks */
    }
    kr__backend_stop();
    kr__timers_clear();
    kr__table_reset();
    kr__ids_reset();
    atomic_store(&kr__is_running, false);
}

int kr_address(char *buf, size_t n)
{
    if (!buf)
        return KR_EINVAL;
    if (n == 0)
        return KR_ENOSPC;
    if (!atomic_load(&kr__is_running))
        return KR_ESTATE;
    uint32_t ip_value;
    uint16_t port;
    kr__backend_here(&ip_value, &port);
    char ip[16];
    kr__ip_format(ip_value, ip, sizeof ip);
    int w = snprintf(buf, n, "%s:%u", ip, (unsigned)port);
    return (w < 0 || (size_t)w >= n) ? KR_ENOSPC : 0;
}

void kr_stats_get(kr_stats *out)
{
    if (!out)
        return;
    *out = (kr_stats){
        .messages_sent = kr__counter_total(KR__COUNTER_INDEX(messages_sent)),
        .messages_delivered = kr__counter_total(KR__COUNTER_INDEX(messages_delivered)),
        .messages_dropped = kr__counter_total(KR__COUNTER_INDEX(messages_dropped)),
        .dispatches = kr__counter_total(KR__COUNTER_INDEX(dispatches)),
        .events_served = kr__counter_total(KR__COUNTER_INDEX(events_served)),
        .events_dropped = kr__counter_total(KR__COUNTER_INDEX(events_dropped)),
        .processes_spawned = kr__counter_total(KR__COUNTER_INDEX(processes_spawned)),
        .processes_terminated = kr__counter_total(KR__COUNTER_INDEX(processes_terminated)),
        .timers_created = kr__counter_total(KR__COUNTER_INDEX(timers_created)),
        .timers_fired = kr__counter_total(KR__COUNTER_INDEX(timers_fired)),
        .timers_cancelled = kr__counter_total(KR__COUNTER_INDEX(timers_cancelled)),
    };
}
