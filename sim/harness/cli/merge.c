/* kairos merge: the JSON Lines summaries of `kairos sweep --shard K/N` runs
 * (made on any batch engine: a CI matrix, Kubernetes indexed jobs, Slurm
 * arrays) turned into one summary and one sweep report, as one machine
 * sweeping all the seeds would have written them.
 *
 * The shards must come from one sweep: the same scenario, seed range,
 * strategy, PCT depth and k, and shard count N; each shard once. Seeds are
 * written in seed order; the summary (counts, probes, required probes never
 * hit) is recomputed from the seeds. Only wall-clock fields differ from a
 * single-machine sweep: the header says shard 1/1 and the sum of the
 * shards' jobs, the summary the sum of their wall times. */
#include "cli.h"
#include "out_file.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct merged_seed {
    uint64_t seed;
    char *line; /* as the shard wrote it, without the newline */
} merged_seed;

typedef struct merger {
    const cli_opts *o;
    json_t *header; /* the first shard's */
    uint64_t shard_n, jobs, wall_ns;
    bool *have_shard; /* [shard_n] */
    bool stopped_early;
    merged_seed *seeds;
    size_t n_seeds, cap_seeds;
} merger;

static const char *text_of(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static uint64_t u64_of(json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

/* The fields every shard of one sweep shares. */
static int same_sweep(merger *m, json_t *h, const char *path)
{
    static const char *const keys[] = {"scenario", "name", "strategy", "pct_depth", "pct_steps",
                                       "seed_first", "seed_last", "require_probes"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        json_t *a = json_object_get(m->header, keys[i]), *b = json_object_get(h, keys[i]);
        if ((a || b) && !(a && b && json_equal(a, b)))
            return cli_error(m->o, "%s: not a shard of the same sweep: its %s differs", path,
                             keys[i]);
    }
    return 0;
}

static int read_header(merger *m, json_t *h, const char *path)
{
    uint64_t k = 0, n = 0;
    if (!cli_parse_shard(text_of(h, "shard"), &k, &n))
        return cli_error(m->o, "%s: bad shard \"%s\" in the header", path, text_of(h, "shard"));
    if (!m->header) {
        m->header = json_incref(h);
        m->shard_n = n;
        if (!(m->have_shard = calloc(n, sizeof *m->have_shard)))
            return cli_error(m->o, "out of memory");
    } else {
        int rc = same_sweep(m, h, path);
        if (rc)
            return rc;
        if (n != m->shard_n)
            return cli_error(m->o, "%s: shard %" PRIu64 "/%" PRIu64 " of a sweep split in %" PRIu64
                             ", the others in %" PRIu64, path, k, n, n, m->shard_n);
    }
    if (m->have_shard[k - 1])
        return cli_error(m->o, "%s: shard %" PRIu64 "/%" PRIu64 " given twice", path, k, n);
    m->have_shard[k - 1] = true;
    m->jobs += u64_of(h, "jobs");
    return 0;
}

static int add_seed(merger *m, json_t *line, const char *text, size_t len)
{
    if (m->n_seeds == m->cap_seeds) {
        size_t cap = m->cap_seeds ? m->cap_seeds * 2 : 1024;
        merged_seed *s = realloc(m->seeds, cap * sizeof *s);
        if (!s)
            return cli_error(m->o, "out of memory");
        m->seeds = s;
        m->cap_seeds = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return cli_error(m->o, "out of memory");
    memcpy(copy, text, len);
    copy[len] = '\0';
    m->seeds[m->n_seeds++] = (merged_seed){u64_of(line, "seed"), copy};
    return 0;
}

static int read_shard(merger *m, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cli_error(m->o, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    for (size_t n = 1; rc == 0 && (len = getline(&buf, &cap, f)) > 0; n++) {
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        json_error_t jerr;
        json_t *line = json_loadb(buf, (size_t)len, 0, &jerr);
        const char *type = text_of(line, "type");
        if (!json_is_object(line))
            rc = cli_error(m->o, "%s:%zu: not a JSON object: %s", path, n, jerr.text);
        else if (n == 1 && strcmp(type, "sweep") != 0)
            rc = cli_error(m->o, "%s:1: not a sweep summary (kairos sweep --jsonl)", path);
        else if (n == 1)
            rc = read_header(m, line, path);
        else if (strcmp(type, "seed") == 0)
            rc = add_seed(m, line, buf, (size_t)len);
        else if (strcmp(type, "summary") == 0) {
            m->wall_ns += u64_of(line, "wall_ns");
            m->stopped_early |= json_is_true(json_object_get(line, "stopped_early"));
        }
        json_decref(line);
    }
    if (rc == 0 && ferror(f))
        rc = cli_error(m->o, "%s: %s", path, strerror(errno));
    if (rc == 0 && !m->header)
        rc = cli_error(m->o, "%s: empty", path);
    free(buf);
    fclose(f);
    return rc;
}

static int by_seed(const void *a, const void *b)
{
    uint64_t x = ((const merged_seed *)a)->seed, y = ((const merged_seed *)b)->seed;
    return x < y ? -1 : x > y;
}

/* ---- the merged summary ------------------------------------------------------------ */

typedef struct tally {
    char *key;
    uint64_t count, seeds, first_seed;
    json_t *first; /* the first seed's line (signatures) */
} tally;

typedef struct tallies {
    tally *t;
    size_t n, cap;
} tallies;

static tally *tally_of(tallies *ts, const char *key)
{
    for (size_t i = 0; i < ts->n; i++)
        if (strcmp(ts->t[i].key, key) == 0)
            return &ts->t[i];
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 16;
        tally *t = realloc(ts->t, cap * sizeof *t);
        if (!t)
            return NULL;
        ts->t = t;
        ts->cap = cap;
    }
    char *k = strdup(key);
    if (!k)
        return NULL;
    ts->t[ts->n] = (tally){.key = k};
    return &ts->t[ts->n++];
}

static void tallies_free(tallies *ts)
{
    for (size_t i = 0; i < ts->n; i++) {
        free(ts->t[i].key);
        json_decref(ts->t[i].first);
    }
    free(ts->t);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const tally *)a)->key, ((const tally *)b)->key);
}

static int by_first(const void *a, const void *b)
{
    uint64_t x = ((const tally *)a)->first_seed, y = ((const tally *)b)->first_seed;
    return x < y ? -1 : x > y;
}

typedef struct totals {
    uint64_t pass, fail, error;
    tallies sigs, probes;
} totals;

static int count_seed(totals *t, json_t *line)
{
    const char *status = text_of(line, "status");
    uint64_t seed = u64_of(line, "seed");
    if (strcmp(status, "pass") == 0) {
        t->pass++;
    } else {
        if (strcmp(status, "error") == 0)
            t->error++;
        else
            t->fail++;
        tally *s = tally_of(&t->sigs, text_of(line, "signature"));
        if (!s)
            return -1;
        if (s->count++ == 0) {
            s->first_seed = seed;
            s->first = json_incref(line);
        }
    }
    const char *name;
    json_t *hits;
    json_object_foreach(json_object_get(line, "probes"), name, hits)
    {
        tally *p = tally_of(&t->probes, name);
        if (!p)
            return -1;
        p->count += (uint64_t)json_integer_value(hits);
        p->seeds++;
    }
    return 0;
}

static void json_text(FILE *f, const char *s) { kr__json_escape(f, s, strlen(s)); }

static void replay_cmd(const merger *m, uint64_t seed, char *buf, size_t n)
{
    char num[32];
    buf[0] = '\0';
    cli_append_arg(buf, n, m->o->prog);
    for (size_t i = 0; i < m->o->n_loads; i++) {
        cli_append_arg(buf, n, "--load");
        cli_append_arg(buf, n, m->o->loads[i]);
    }
    cli_append_arg(buf, n, "replay");
    cli_append_arg(buf, n, text_of(m->header, "scenario"));
    snprintf(num, sizeof num, "%" PRIu64, seed);
    cli_append_arg(buf, n, "--seed");
    cli_append_arg(buf, n, num);
    const char *strategy = text_of(m->header, "strategy");
    cli_append_arg(buf, n, "--strategy");
    cli_append_arg(buf, n, strategy);
    if (strcmp(strategy, "pct") == 0) {
        snprintf(num, sizeof num, "%" PRIu64, u64_of(m->header, "pct_depth"));
        cli_append_arg(buf, n, "--pct-depth");
        cli_append_arg(buf, n, num);
        if (u64_of(m->header, "pct_steps")) {
            snprintf(num, sizeof num, "%" PRIu64, u64_of(m->header, "pct_steps"));
            cli_append_arg(buf, n, "--pct-steps");
            cli_append_arg(buf, n, num);
        }
    }
}

/* The merged file: header, seeds in seed order, summary. */
static void write_merged(const merger *m, FILE *f, const totals *t, bool failed,
                         json_t *missing)
{
    json_t *h = json_deep_copy(m->header);
    json_object_set_new(h, "shard", json_string("1/1"));
    json_object_set_new(h, "jobs", json_integer((json_int_t)m->jobs));
    char *text = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
    fprintf(f, "%s\n", text ? text : "{}");
    free(text);
    json_decref(h);
    for (size_t i = 0; i < m->n_seeds; i++)
        fprintf(f, "%s\n", m->seeds[i].line);
    fprintf(f, "{\"type\":\"summary\",\"status\":\"%s\",\"seeds\":%zu,\"pass\":%" PRIu64
               ",\"fail\":%" PRIu64 ",\"error\":%" PRIu64 ",\"wall_ns\":%" PRIu64
               ",\"stopped_early\":%s,\"probes\":{",
            failed ? "fail" : "pass", m->n_seeds, t->pass, t->fail, t->error, m->wall_ns,
            m->stopped_early ? "true" : "false");
    for (size_t i = 0; i < t->probes.n; i++) {
        fputs(i ? "," : "", f);
        json_text(f, t->probes.t[i].key);
        fprintf(f, ":{\"hits\":%" PRIu64 ",\"seeds\":%" PRIu64 "}", t->probes.t[i].count,
                t->probes.t[i].seeds);
    }
    fputs("},\"missing_probes\":[", f);
    for (size_t i = 0; i < json_array_size(missing); i++) {
        fputs(i ? "," : "", f);
        json_text(f, json_string_value(json_array_get(missing, i)));
    }
    fputs("]}\n", f);
}

static void print_summary(const merger *m, const totals *t, json_t *missing, bool failed)
{
    printf("merged %" PRIu64 " shard%s of %s (%s): seeds %" PRIu64 "..%" PRIu64
           ", strategy %s\n",
           m->shard_n, m->shard_n == 1 ? "" : "s", text_of(m->header, "scenario"),
           text_of(m->header, "name"), u64_of(m->header, "seed_first"),
           u64_of(m->header, "seed_last"), text_of(m->header, "strategy"));
    printf("seeds run: %zu, passed %" PRIu64 ", failed %" PRIu64 "\n", m->n_seeds, t->pass,
           t->fail + t->error);
    printf("failure signatures: %zu\n", t->sigs.n);
    for (size_t i = 0; i < t->sigs.n; i++) {
        const tally *s = &t->sigs.t[i];
        char cmd[2048], tm[32];
        replay_cmd(m, s->first_seed, cmd, sizeof cmd);
        printf("  %" PRIu64 " x %s\n", s->count, s->key);
        printf("    first seed %" PRIu64 " (step %" PRIu64 ", virtual time %s): %s\n",
               s->first_seed, u64_of(s->first, "fail_step"),
               cli_fmt_time((kr_duration)u64_of(s->first, "fail_time"), tm, sizeof tm),
               text_of(s->first, "failure"));
        printf("    replay: %s\n", cmd);
    }
    printf("probes: %zu hit\n", t->probes.n);
    for (size_t i = 0; i < t->probes.n; i++)
        printf("  %s: %" PRIu64 " hit%s in %" PRIu64 " seed%s\n", t->probes.t[i].key,
               t->probes.t[i].count, t->probes.t[i].count == 1 ? "" : "s", t->probes.t[i].seeds,
               t->probes.t[i].seeds == 1 ? "" : "s");
    for (size_t i = 0; i < json_array_size(missing); i++)
        printf("  FAIL: required probe '%s' was never hit\n",
               json_string_value(json_array_get(missing, i)));
    printf("result: %s\n", failed ? "FAIL" : "PASS");
}


/* The run reports the sweep report links to (sweep_runs.c), as `kairos
 * sweep --report` writes them: the shards' scenario, strategy and depth,
 * the first failing seed of each signature. A scenario not found here
 * costs the links only. */
static void merged_run_reports(const merger *m, const tallies *sigs)
{
    cli_opts o = *m->o;
    o.file = text_of(m->header, "scenario");
    o.strategy = text_of(m->header, "strategy");
    o.pct_depth = (int)u64_of(m->header, "pct_depth");
    scenario *s;
    if (!sigs->n || cli_load(&o, &s) != 0) {
        if (sigs->n)
            printf("no run reports: cannot load the shards' scenario %s here\n", o.file);
        return;
    }
    uint64_t *first = calloc(sigs->n, sizeof *first);
    for (size_t i = 0; first && i < sigs->n; i++)
        first[i] = sigs->t[i].first_seed;
    if (first)
        cli_sweep_run_reports(&o, s, first, sigs->n);
    free(first);
    kr__sc_free(s);
}

static int finish(merger *m)
{
    if (m->n_seeds > 1)
        qsort(m->seeds, m->n_seeds, sizeof *m->seeds, by_seed);
    for (size_t i = 1; i < m->n_seeds; i++)
        if (m->seeds[i].seed == m->seeds[i - 1].seed)
            return cli_error(m->o, "seed %" PRIu64 " appears in two shards", m->seeds[i].seed);
    for (uint64_t k = 0; k < m->shard_n; k++)
        if (!m->have_shard[k])
            fprintf(stderr, "kairos merge: warning: shard %" PRIu64 "/%" PRIu64
                            " is missing: its seeds are not in the summary\n",
                    k + 1, m->shard_n);
    totals t = {0};
    int rc = 0;
    for (size_t i = 0; i < m->n_seeds && rc == 0; i++) {
        json_t *line = json_loads(m->seeds[i].line, 0, NULL);
        if (count_seed(&t, line) != 0)
            rc = cli_error(m->o, "out of memory");
        json_decref(line);
    }
    if (t.probes.n > 1)
        qsort(t.probes.t, t.probes.n, sizeof *t.probes.t, by_key);
    if (t.sigs.n > 1)
        qsort(t.sigs.t, t.sigs.n, sizeof *t.sigs.t, by_first);
    json_t *missing = json_array(), *req = json_object_get(m->header, "require_probes");
    for (size_t i = 0; i < json_array_size(req); i++) {
        const char *name = json_string_value(json_array_get(req, i));
        bool hit = false;
        for (size_t j = 0; name && j < t.probes.n; j++)
            hit |= strcmp(t.probes.t[j].key, name) == 0 && t.probes.t[j].count > 0;
        if (name && !hit)
            json_array_append_new(missing, json_string(name));
    }
    bool failed = t.fail + t.error > 0 || json_array_size(missing) > 0;
    char path[4096] = "";
    if (rc == 0 && m->o->jsonl)
        snprintf(path, sizeof path, "%s", m->o->jsonl);
    else if (rc == 0 && m->o->report)
        snprintf(path, sizeof path, "%s.jsonl", m->o->report);
    if (rc == 0 && path[0]) {
        kr__out out;
        char err[1024];
        if (kr__out_open(&out, path, err, sizeof err) != 0)
            rc = cli_error(m->o, "%s", err);
        else {
            write_merged(m, out.f, &t, failed, missing);
            if (kr__out_commit(&out, true, err, sizeof err) != 0)
                rc = cli_error(m->o, "%s", err);
        }
    }
    if (rc == 0)
        print_summary(m, &t, missing, failed);
    if (rc == 0 && path[0])
        printf("results: %s\n", path);
#if CLI_HAVE_REPORT
    if (rc == 0 && m->o->report)
        merged_run_reports(m, &t.sigs);
    if (rc == 0 && m->o->report) {
        char err[1024] = "";
        if (!kr__report_sweep)
            rc = cli_error(m->o, "--report: reports not available in this build");
        else if (kr__report_sweep(path, m->o->report, err, sizeof err) != 0)
            rc = cli_error(m->o, "--report %s: %s", m->o->report, err[0] ? err : "failed");
        else
            printf("report: %s\n", m->o->report);
    }
#else
    if (rc == 0 && m->o->report)
        rc = cli_error(m->o, "--report: reports not available in this build");
#endif
    json_decref(missing);
    tallies_free(&t.sigs);
    tallies_free(&t.probes);
    return rc ? rc : failed ? CLI_FAILED : CLI_OK;
}

int cli_merge(const cli_opts *o)
{
    if (o->n_inputs == 0)
        return cli_usage_error(o, "give the sweep summaries to merge (kairos sweep --jsonl)");
    merger m = {.o = o};
    int rc = 0;
    for (size_t i = 0; i < o->n_inputs && rc == 0; i++)
        rc = read_shard(&m, o->inputs[i]);
    if (rc == 0)
        rc = finish(&m);
    for (size_t i = 0; i < m.n_seeds; i++)
        free(m.seeds[i].line);
    free(m.seeds);
    free(m.have_shard);
    json_decref(m.header);
    return rc;
}
