/* Decisions: every choice the simulator makes goes through kr__sim_decide
 * (inline in sim_internal.h), which follows a replayed schedule if one is
 * loaded, records the choice, and folds it into the trace hash. A schedule
 * file is those records. */
#include "sim_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <unistd.h>

#define SCHEDULE_MAGIC "kairos-schedule 1"

void kr__sim_fail(const char *msg)
{
    if (kr__sim.failure)
        return; /* the first failure is the one that matters */
    kr__sim.failure = strdup(msg);
    if (!kr__sim.failure)
        kr__sim.failure = strdup("check failed (message lost: out of memory)");
}

bool kr__sim_log_grow(void)
{
    kr__logged *l = kr__grow(kr__sim.log, &kr__sim.log_cap, kr__sim.log_len, sizeof *l, 1024);
    if (!l) {
        kr__sim_fail("sim: out of memory recording the schedule");
        return false;
    }
    kr__sim.log = l;
    return true;
}

void kr__sim_log_id(uint64_t id)
{
    /* Decisions logged before ids were asked for have none (0). */
    while (kr__sim.log_ids_len <= kr__sim.log_len) {
        if (kr__sim.log_ids_len == kr__sim.log_ids_cap) {
            uint64_t *ids = kr__grow(kr__sim.log_ids, &kr__sim.log_ids_cap,
                                     kr__sim.log_ids_len, sizeof *ids, 1024);
            if (!ids) {
                kr__sim_fail("sim: out of memory recording the schedule's ids");
                return;
            }
            kr__sim.log_ids = ids;
        }
        kr__sim.log_ids[kr__sim.log_ids_len++] = 0;
    }
    kr__sim.log_ids[kr__sim.log_len] = id;
}

/* A loose decision: the entity it names when that is an option, else its
 * choice modulo the options. */
static uint32_t loose(const kr__decision *d, uint32_t options,
                      uint64_t (*identify)(uint32_t index, void *ctx), void *ctx)
{
    for (uint32_t i = 0; d->id && identify && i < options; i++)
        if (identify(i, ctx) == d->id)
            return i;
    return options ? d->chosen % options : 0;
}

uint32_t kr__sim_replayed(uint32_t options, uint64_t (*identify)(uint32_t index, void *ctx),
                          void *ctx)
{
    kr__decision d = kr__sim.replay[kr__sim.replay_pos++];
    if (d.options == 0) /* loose: fits whatever the run offers */
        return loose(&d, options, identify, ctx);
    if (d.options != options || d.chosen >= options) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "replay: the schedule no longer fits the program at decision %zu "
                 "(step %" PRIu64 "): it recorded %u options, the run has %u",
                 kr__sim.replay_pos - 1, kr__sim.steps, d.options, options);
        kr__sim_fail(msg);
        return 0;
    }
    return d.chosen;
}

static const char *strategy_name(void)
{
    switch (kr__sim.strategy) {
    case KR__STRATEGY_FIFO:
        return "fifo";
    case KR__STRATEGY_PCT:
        return "pct";
    case KR__STRATEGY_POS:
        return "pos";
    default:
        return "random";
    }
}

/* Written to a temporary file and renamed, so a crash never leaves half a
 * schedule behind. */
int kr_sim_trace_write(const char *path)
{
    if (!path)
        return KR_EINVAL;
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return KR_ENAMETOOLONG;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        kr__log("kr_sim_trace_write: %s: %s", tmp, strerror(errno));
        return KR_EIO;
    }
    fprintf(f, "%s\nseed %" PRIu64 "\nstrategy %s\nhash 0x%016" PRIx64 "\ndecisions %zu\n",
            SCHEDULE_MAGIC, kr__sim.seed, strategy_name(), kr__sim.hash, kr__sim.log_len);
    for (size_t i = 0; i < kr__sim.log_len; i++)
        fprintf(f, "%u %u\n", kr__sim.log[i].options, kr__sim.log[i].chosen);
    bool ok = !ferror(f);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        kr__log("kr_sim_trace_write: cannot write %s", path);
        unlink(tmp);
        return KR_EIO;
    }
    return 0;
}

static int parse_error(const char *path, int line, const char *what)
{
    kr__log("%s:%d: %s", path, line, what);
    return KR_EFORMAT;
}

static int schedule_check(void)
{
    if (!atomic_load(&kr__is_running))
        return KR_ESTATE;
    if (kr__sim.steps != 0 || kr__sim.log_len != 0) {
        kr__log("kr_sim_schedule/kr_sim_trace_replay: call it before the first step");
        return KR_ESTATE;
    }
    return 0;
}

int kr_sim_schedule(const uint32_t (*decisions)[2], size_t n)
{
    if (!decisions && n)
        return KR_EINVAL;
    int rc = schedule_check();
    if (rc != 0)
        return rc;
    kr__decision *d = n ? kr__malloc(n * sizeof *d) : NULL;
    if (n && !d)
        return KR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (decisions[i][0] != 0 && decisions[i][1] >= decisions[i][0]) {
            kr__free(d);
            return KR_EINVAL;
        }
        d[i] = (kr__decision){decisions[i][0], decisions[i][1], 0};
    }
    kr__free(kr__sim.replay);
    kr__sim.replay = d;
    kr__sim.replay_len = n;
    kr__sim.replay_pos = 0;
    return 0;
}

int kr_sim_schedule_ids(const uint64_t *ids, size_t n)
{
    if (!atomic_load(&kr__is_running) || kr__sim.replay_pos != 0)
        return KR_ESTATE;
    if (!ids && n)
        return KR_EINVAL;
    if (n > kr__sim.replay_len)
        return KR_ERANGE;
    kr__sim.record_ids = true;
    for (size_t i = 0; i < n; i++)
        kr__sim.replay[i].id = ids[i];
    return 0;
}

size_t kr_sim_decision_ids(uint64_t *out, size_t max)
{
    for (size_t i = 0; out && i < kr__sim.log_len && i < max; i++)
        out[i] = i < kr__sim.log_ids_len ? kr__sim.log_ids[i] : 0;
    return kr__sim.log_len;
}

size_t kr_sim_decisions(uint32_t (*out)[2], size_t max)
{
    for (size_t i = 0; out && i < kr__sim.log_len && i < max; i++) {
        out[i][0] = kr__sim.log[i].options;
        out[i][1] = kr__sim.log[i].chosen;
    }
    return kr__sim.log_len;
}

int kr_sim_trace_replay(const char *path)
{
    if (!path)
        return KR_EINVAL;
    int rc0 = schedule_check();
    if (rc0 != 0)
        return rc0;
    FILE *f = fopen(path, "r");
    if (!f) {
        kr__log("kr_sim_trace_replay: %s: %s", path, strerror(errno));
        return KR_EIO;
    }
    char line[256], strategy[16];
    uint64_t seed, hash;
    size_t count;
    int rc = 0, n = 0;
    kr__decision *d = NULL;
#define NEXT_LINE() (n++, fgets(line, sizeof line, f) != NULL)
    if (!NEXT_LINE() || strncmp(line, SCHEDULE_MAGIC, strlen(SCHEDULE_MAGIC)) != 0)
        rc = parse_error(path, n, "not a kairos schedule (expected \"" SCHEDULE_MAGIC "\")");
    else if (!NEXT_LINE() || sscanf(line, "seed %" SCNu64, &seed) != 1)
        rc = parse_error(path, n, "expected \"seed N\"");
    else if (!NEXT_LINE() || sscanf(line, "strategy %15s", strategy) != 1)
        rc = parse_error(path, n, "expected \"strategy NAME\"");
    else if (!NEXT_LINE() || sscanf(line, "hash %" SCNx64, &hash) != 1)
        rc = parse_error(path, n, "expected \"hash 0x...\"");
    else if (!NEXT_LINE() || sscanf(line, "decisions %zu", &count) != 1 || count > 1000000000)
        rc = parse_error(path, n, "expected \"decisions N\"");
    else if (count && !(d = kr__malloc(count * sizeof *d)))
        rc = KR_ENOMEM;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char extra;
        if (!NEXT_LINE() || sscanf(line, "%u %u %c", &d[i].options, &d[i].chosen, &extra) != 2 ||
            d[i].chosen >= d[i].options)
            rc = parse_error(path, n, "expected \"OPTIONS CHOSEN\" with CHOSEN < OPTIONS");
        else
            d[i].id = 0;
    }
#undef NEXT_LINE
    fclose(f);
    if (rc != 0) {
        kr__free(d);
        return rc;
    }
    /* Follow the file: its seed drives every other stream (kr_random,
     * faults), its decisions drive the schedule. */
    kr__sim_seed_streams(seed);
    kr__free(kr__sim.replay);
    kr__sim.replay = d;
    kr__sim.replay_len = count;
    kr__sim.replay_pos = 0;
    return 0;
}
