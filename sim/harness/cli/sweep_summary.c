/* kairos sweep's summary: the failure signatures with the first seed of
 * each and its replay command, the probes (and the required ones never
 * hit), the faults that struck, the rate and the result. The tallies come
 * from sweep_cmd.c. */
#include "sweep_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int by_first_seed(const void *a, const void *b)
{
    const sig_tally *x = a, *y = b;
    return x->first_seed < y->first_seed ? -1 : x->first_seed > y->first_seed;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const probe_tally *)a)->name, ((const probe_tally *)b)->name);
}

const probe_tally *cli_sweep_find_probe(const sweep *w, const char *name)
{
    for (size_t i = 0; i < w->n_probes; i++)
        if (strcmp(w->probes[i].name, name) == 0)
            return &w->probes[i];
    return NULL;
}

static uint64_t find_sig_count(const sweep *w, const char *sig)
{
    for (size_t i = 0; i < w->n_sigs; i++)
        if (strcmp(w->sigs[i].signature, sig) == 0)
            return w->sigs[i].count;
    return 0;
}

static void print_signatures(sweep *w)
{
    if (w->n_sigs > 1)
        qsort(w->sigs, w->n_sigs, sizeof *w->sigs, by_first_seed);
    printf("failure signatures: %zu\n", w->n_sigs);
    for (size_t i = 0; i < w->n_sigs; i++) {
        const sig_tally *t = &w->sigs[i];
        char cmd[2048], tm[32];
        cli_replay_seed_cmd(w->o, w->s, t->first_seed, cmd, sizeof cmd);
        printf("  %" PRIu64 " x %s\n", t->count, t->signature);
        printf("    first seed %" PRIu64 " (step %" PRIu64 ", virtual time %s): %s\n",
               t->first_seed, t->fail_step, cli_fmt_time(t->fail_time, tm, sizeof tm),
               t->failure ? t->failure : "");
        printf("    replay: %s\n", cmd);
    }
}

/* Probes with their counts; false when a required probe was never hit. */
static bool print_probes(sweep *w)
{
    bool ok = true;
    if (w->n_probes > 1)
        qsort(w->probes, w->n_probes, sizeof *w->probes, by_name);
    printf("probes: %zu hit\n", w->n_probes);
    for (size_t i = 0; i < w->n_probes; i++)
        printf("  %s: %" PRIu64 " hit%s in %" PRIu64 " seed%s\n", w->probes[i].name,
               w->probes[i].hits, w->probes[i].hits == 1 ? "" : "s", w->probes[i].seeds,
               w->probes[i].seeds == 1 ? "" : "s");
    for (size_t i = 0; i < w->s->n_require_probes; i++) {
        const probe_tally *p = cli_sweep_find_probe(w, w->s->require_probes[i]);
        if (p && p->hits > 0)
            continue;
        printf("  FAIL: required probe '%s' was never hit%s\n", w->s->require_probes[i],
               w->step > 1 ? " (in this shard)" : "");
        ok = false;
    }
    return ok;
}

/* The simulator's faults that struck: how often, in how many seeds. */
static void print_faults(const sweep *w)
{
    bool any = false;
    for (size_t k = 0; k < SC_FAULT_KINDS; k++) {
        if (!w->fault_hits[k])
            continue;
        printf("%s %s %" PRIu64 " in %" PRIu64 " seed%s", any ? "," : "faults:",
               kr__sc_fault_kinds[k], w->fault_hits[k], w->fault_seeds[k],
               w->fault_seeds[k] == 1 ? "" : "s");
        any = true;
    }
    if (any)
        putchar('\n');
}

int cli_sweep_print_summary(sweep *w, double secs)
{
    const cli_opts *o = w->o;
    printf("sweep %s (%s): seeds %" PRIu64 "..%" PRIu64 ", shard %" PRIu64 "/%" PRIu64
           ", strategy %s\n",
           o->file, w->s->name ? w->s->name : "", w->seed_a, w->seed_b, o->shard_k, o->shard_n,
           cli_strategy(o, w->s));
    cli_print_pct_steps(stdout, o, w->s);
    printf("seeds run: %" PRIu64 " of %" PRIu64 ", passed %" PRIu64 ", failed %" PRIu64 "\n",
           w->done, w->count, w->passed, w->failed);
    if (w->done < w->count && o->stop_after)
        printf("stopped after %" PRIu64 " failure%s (--stop-after-failures)\n", w->failed,
               w->failed == 1 ? "" : "s");
    print_signatures(w);
    bool probes_ok = print_probes(w);
    print_faults(w);
    if (o->check_determinism)
        printf("determinism: every seed ran twice; %s\n",
               find_sig_count(w, "nondeterminism: trace hash differs") ? "hashes DIFFER"
                                                                        : "same trace hashes");
    printf("rate: %" PRIu64 " seeds in %.2f s, %.0f seeds/s with %d job%s\n", w->done, secs,
           secs > 0 ? (double)w->done / secs : 0.0, w->jobs, w->jobs == 1 ? "" : "s");
    if (w->errors) {
        printf("result: ERROR: %s\n", w->first_error);
        return CLI_BAD_INPUT;
    }
    bool ok = w->failed == 0 && probes_ok;
    printf("result: %s\n", ok ? "PASS" : "FAIL");
    return ok ? CLI_OK : CLI_FAILED;
}
