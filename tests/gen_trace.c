/* Writes realistic Kairos traces and sweep summaries (sim/TRACE.md) for the
 * report tests and benchmarks, and renders them with the report generator
 * until `kairos run --trace` / `kairos report` produce real ones.
 *
 *   gen_trace trace OUT.jsonl [EVENTS] [SEED]   bank-race-like run, failing
 *   gen_trace sweep OUT.jsonl [SEEDS]           a sweep summary
 *   gen_trace run-html TRACE OUT.html           kr__report_run (prints ms)
 *   gen_trace sweep-html SWEEP OUT.html         kr__report_sweep
 *
 * The run: 3 nodes, 10 processes; clients ask tellers to withdraw, tellers
 * ask the bank's account over the network (send/deliver/message), the
 * account records in the ledger and replies; an auditor's timer checks the
 * books; teller-b is partitioned from the bank and healed, teller-a
 * crashes and restarts; finally the money-conserved invariant fails. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../sim/harness/report/report.h"

typedef struct proc {
    const char *id, *type;
    int node;
} proc;

static const char *const node_name[] = {"bank", "teller-a", "teller-b"};
static const char *const node_addr[] = {"10.0.0.1:5050", "10.0.0.2:5050", "10.0.0.3:5050"};
enum { ACCOUNT, LEDGER, AUDIT, TELLER1, TELLER2, CLIENT1, TELLER3, TELLER4, CLIENT2, MONITOR,
       NPROC };
static const proc procs[NPROC] = {
    {"account", "bank-account", 0}, {"ledger", "ledger", 0},   {"audit", "auditor", 0},
    {"teller1", "teller", 1},       {"teller2", "teller", 1},  {"client1", "client", 1},
    {"teller3", "teller", 2},       {"teller4", "teller", 2},  {"client2", "client", 2},
    {"monitor", "monitor", 2}};

typedef struct gen {
    FILE *out;
    uint64_t rng, step, events;
    int64_t time;
    int up[3];
    int cut; /* teller-b <-> bank */
} gen;

static uint32_t rnd(gen *g, uint32_t n)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return n ? (uint32_t)(g->rng % n) : 0;
}

/* TRACE.md: control and non-ASCII bytes as \u00XX. */
static void jstr(FILE *out, const char *s, size_t len)
{
    putc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            putc(c, out);
    }
    putc('"', out);
}

static void js(FILE *out, const char *s) { jstr(out, s, strlen(s)); }

static void pid(char *buf, size_t n, int p)
{
    if (p < 0)
        buf[0] = '\0';
    else
        snprintf(buf, n, "%s@%s", procs[p].id, node_addr[procs[p].node]);
}

typedef struct ev {
    const char *kind;
    int node;         /* -1: "" */
    int proc;         /* -1: "" */
    const char *name; /* NULL: "" */
    int from, to;     /* process indexes, -1: "" */
    const char *body;
    size_t len;
} ev;

static void emit(gen *g, ev e, int options)
{
    char from[64], to[64];
    pid(from, sizeof from, e.from);
    pid(to, sizeof to, e.to);
    int chosen = options ? (int)rnd(g, (uint32_t)options) : 0;
    fprintf(g->out, "{\"type\":\"event\",\"step\":%llu,\"time\":%lld,\"kind\":",
            (unsigned long long)g->step, (long long)g->time);
    js(g->out, e.kind);
    fputs(",\"node\":", g->out);
    js(g->out, e.node >= 0 ? node_addr[e.node] : "");
    fputs(",\"process\":", g->out);
    js(g->out, e.proc >= 0 ? procs[e.proc].id : "");
    fputs(",\"name\":", g->out);
    js(g->out, e.name ? e.name : "");
    fputs(",\"from\":", g->out);
    js(g->out, from);
    fputs(",\"to\":", g->out);
    js(g->out, to);
    fprintf(g->out, ",\"len\":%zu,\"preview\":", e.len);
    jstr(g->out, e.body ? e.body : "", e.body ? (e.len < 64 ? e.len : 64) : 0);
    fprintf(g->out, ",\"options\":%d,\"chosen\":%d}\n", options, chosen);
    g->events++;
}

/* A scheduling decision: the next step, a little virtual time. */
static int decide(gen *g)
{
    g->step++;
    g->time += 1000 * (int64_t)rnd(g, 400);
    return 1 + (int)rnd(g, 5);
}

typedef struct flight {
    int from, to;
    const char *name;
    char body[16];
    size_t len;
    int64_t at;
} flight;

#define FLIGHTS 256
static flight inflight[FLIGHTS];
static int n_inflight;

static void serve(gen *g, const char *kind, int p, const char *name, int from, const char *body,
                  size_t len)
{
    emit(g, (ev){kind, procs[p].node, p, name, from, p, body, len}, decide(g));
}

static void send_remote(gen *g, int from, int to, const char *name, int amount)
{
    flight f = {from, to, name, {0}, 0, g->time + 1000000 + 1000 * (int64_t)rnd(g, 3000)};
    f.body[0] = (char)amount;
    f.body[1] = 0;
    f.body[2] = (char)0xff;
    memcpy(f.body + 3, "amt", 3);
    f.len = 6;
    int here = procs[from].node, there = procs[to].node;
    bool cut = g->cut && ((here == 0 && there == 2) || (here == 2 && there == 0));
    ev e = {cut ? "drop" : "send", here, from, name, from, to, f.body, f.len};
    emit(g, e, 0);
    if (cut || n_inflight >= FLIGHTS - 1)
        return;
    inflight[n_inflight++] = f;
    if (rnd(g, 40) == 0) {
        emit(g, (ev){"duplicate", here, from, name, from, to, f.body, f.len}, 0);
        inflight[n_inflight++] = f;
    }
}

static void local(gen *g, int from, int to, const char *name, const char *body, size_t len)
{
    serve(g, "message", to, name, from, body, len);
}

/* Delivers the oldest due message (per-link FIFO: in order of sending). */
static void deliver_one(gen *g)
{
    if (!n_inflight)
        return;
    if (inflight[0].at > g->time)
        g->time = inflight[0].at; /* nothing else to do: time moves on */
    flight f = inflight[0];
    memmove(inflight, inflight + 1, (size_t)--n_inflight * sizeof *inflight);
    int there = procs[f.to].node, here = procs[f.from].node;
    int options = decide(g);
    bool cut = g->cut && ((here == 0 && there == 2) || (here == 2 && there == 0));
    if (cut || !g->up[there]) {
        emit(g, (ev){"drop", there, f.to, f.name, f.from, f.to, f.body, f.len}, options);
        return;
    }
    emit(g, (ev){"deliver", there, f.to, f.name, f.from, f.to, f.body, f.len}, options);
    serve(g, "message", f.to, f.name, f.from, f.body, f.len);
    if (!strcmp(f.name, "withdraw")) {
        local(g, ACCOUNT, LEDGER, "record", "debit\t50\n", 9);
        if (rnd(g, 6) == 0)
            emit(g, (ev){"probe", 0, ACCOUNT, "overdraft-attempt", -1, -1, NULL, 0}, 0);
        send_remote(g, ACCOUNT, f.from, rnd(g, 4) ? "ok" : "insufficient-funds", 50);
    }
}

static void client_turn(gen *g)
{
    int client = rnd(g, 2) ? CLIENT1 : CLIENT2;
    if (!g->up[procs[client].node])
        return;
    emit(g, (ev){"timer", -1, -1, NULL, -1, -1, NULL, 0}, decide(g));
    serve(g, "dispatch", client, NULL, -1, NULL, 0);
    int teller = client == CLIENT1 ? (rnd(g, 2) ? TELLER1 : TELLER2)
                                   : (rnd(g, 2) ? TELLER3 : TELLER4);
    local(g, client, teller, "withdraw-request", "{\"amount\":50}", 13);
    send_remote(g, teller, ACCOUNT, "withdraw", 50);
}

static void audit_turn(gen *g)
{
    emit(g, (ev){"timer", -1, -1, NULL, -1, -1, NULL, 0}, decide(g));
    serve(g, "dispatch", AUDIT, NULL, -1, NULL, 0);
    local(g, AUDIT, ACCOUNT, "balance?", NULL, 0);
    local(g, ACCOUNT, AUDIT, "balance", "\x01\x00\x00\x00", 4);
}

static void header(gen *g, uint64_t seed)
{
    FILE *o = g->out;
    fprintf(o, "{\"type\":\"header\",\"format\":\"kairos-trace\",\"version\":1,"
               "\"scenario\":\"scenarios/bank-race.yaml\",\"name\":\"bank-race\","
               "\"seed\":%llu,\"strategy\":\"random\",\"pct_depth\":3,\"nodes\":[",
            (unsigned long long)seed);
    for (int i = 0; i < 3; i++)
        fprintf(o, "%s{\"name\":\"%s\",\"address\":\"%s\"}", i ? "," : "", node_name[i],
                node_addr[i]);
    fputs("],\"processes\":[", o);
    for (int i = 0; i < NPROC; i++)
        fprintf(o, "%s{\"id\":\"%s\",\"type\":\"%s\",\"node\":\"%s\"}", i ? "," : "",
                procs[i].id, procs[i].type, node_name[procs[i].node]);
    fputs("],\"skip_actions\":[],\"no_random_faults\":false}\n", o);
}

static void init_node(gen *g, int node)
{
    for (int p = 0; p < NPROC; p++)
        if (procs[p].node == node)
            serve(g, "init", p, NULL, -1, NULL, 0);
}

static void fault(gen *g, const char *kind, int node, const char *detail)
{
    g->step++;
    emit(g, (ev){kind, node, -1, detail, -1, -1, NULL, 0}, 0);
}

/* Faults at fixed fractions of the run. */
static void faults(gen *g, uint64_t target)
{
    static const struct { unsigned pct; int what; } plan[] = {
        {30, 0}, {45, 1}, {55, 2}, {62, 3}, {64, 4}, {75, 5}, {80, 6}};
    static int done;
    for (size_t i = 0; i < sizeof plan / sizeof *plan; i++) {
        if ((done >> i & 1) || g->events * 100 < target * plan[i].pct)
            continue;
        done |= 1 << i;
        switch (plan[i].what) {
        case 0: fault(g, "partition", -1, "1|1 nodes"); g->cut = 1; break;
        case 1: fault(g, "heal", -1, NULL); g->cut = 0; break;
        case 2:
            fault(g, "crash", 1, NULL);
            g->up[1] = 0;
            serve(g, "exited", MONITOR, "teller1", TELLER1, NULL, 0);
            break;
        case 3: fault(g, "restart", 1, NULL); g->up[1] = 1; init_node(g, 1); break;
        case 4: g->step++; emit(g, (ev){"clog", 2, -1, node_addr[0], -1, -1, NULL, 0}, 0); break;
        case 5:
            emit(g, (ev){"stimulus", 0, ACCOUNT, "GET /balance", -1, ACCOUNT, NULL, 0}, 0);
            serve(g, "http", ACCOUNT, "/balance", -1, "GET /balance HTTP/1.1", 21);
            /* Hostile text must stay text in the report. */
            serve(g, "http", ACCOUNT, "/search?q=</script><script>alert(1)</script>&caf\xc3\xa9",
                  -1, "\"</script>\x01\x02", 12);
            break;
        case 6: serve(g, "terminate", CLIENT2, NULL, -1, NULL, 0); break;
        }
    }
}

static int write_trace(const char *path, uint64_t target, uint64_t seed)
{
    gen g = {.rng = seed * 0x9e3779b97f4a7c15ull + 1, .up = {1, 1, 1}};
    if (!(g.out = fopen(path, "w")))
        return perror(path), 1;
    header(&g, seed);
    emit(&g, (ev){"stimulus", 0, ACCOUNT, "open-account", -1, ACCOUNT, "200", 3}, 0);
    for (int n = 0; n < 3; n++)
        init_node(&g, n);
    local(&g, -1, ACCOUNT, "open-account", "200", 3);
    while (g.events < target) {
        faults(&g, target);
        uint32_t r = rnd(&g, 10);
        if (n_inflight > 12 || (r >= 5 && n_inflight))
            deliver_one(&g);
        else if (r == 4)
            audit_turn(&g);
        else
            client_turn(&g);
    }
    g.step++;
    emit(&g, (ev){"check", -1, AUDIT, "invariant money-conserved: total 150 != 200",
                  -1, -1, NULL, 0}, 0);
    fprintf(g.out, "{\"type\":\"result\",\"status\":\"fail\",\"failure\":\"invariant "
                   "money-conserved: total 150 != 200\",\"signature\":\"invariant "
                   "money-conserved\",\"fail_step\":%llu,\"fail_time\":%lld,\"steps\":%llu,"
                   "\"time\":%lld,\"hash\":\"0x1f2e3d4c5b6a7988\",\"events\":%llu,"
                   "\"probes\":{\"overdraft-attempt\":2}}\n",
            (unsigned long long)g.step, (long long)g.time, (unsigned long long)g.step,
            (long long)g.time, (unsigned long long)g.events);
    fputs("{\"type\":\"schedule\",\"decisions\":[[3,1],[2,0],[1,0]]}\n", g.out);
    return fclose(g.out) ? 1 : 0;
}

static int write_sweep(const char *path, unsigned seeds)
{
    FILE *o = fopen(path, "w");
    if (!o)
        return perror(path), 1;
    gen g = {.rng = 12345};
    fprintf(o, "{\"type\":\"sweep\",\"format\":\"kairos-sweep\",\"version\":1,\"scenario\":"
               "\"scenarios/bank-race.yaml\",\"name\":\"bank-race\",\"strategy\":\"random\","
               "\"pct_depth\":3,\"seed_first\":1,\"seed_last\":%u,\"jobs\":4,"
               "\"require_probes\":[\"overdraft-attempt\",\"double-restart\"]}\n",
            seeds);
    static const char *const sigs[] = {"invariant money-conserved",
                                       "expect delivered withdraw <at_least 3>",
                                       "liveness balance-settles"};
    unsigned fails = 0, hits = 0, hit_seeds = 0;
    for (unsigned s = 1; s <= seeds; s++) {
        uint32_t r = rnd(&g, 100);
        int sig = r < 6 ? 0 : r < 8 ? 1 : r < 9 ? 2 : -1;
        unsigned steps = 60 + rnd(&g, 120) + (sig >= 0 ? rnd(&g, 60) : 0);
        long long t = (long long)steps * 70000 + rnd(&g, 1000000);
        unsigned ph = rnd(&g, 4) == 0 ? 1 + rnd(&g, 3) : 0;
        hits += ph;
        hit_seeds += ph > 0;
        fails += sig >= 0;
        fprintf(o, "{\"type\":\"seed\",\"seed\":%u,\"status\":\"%s\",\"hash\":\"0x%016llx\","
                   "\"steps\":%u,\"time\":%lld,\"events\":%u,\"signature\":\"%s\","
                   "\"failure\":\"%s%s\",\"fail_step\":%u,\"fail_time\":%lld,"
                   "\"wall_ns\":%u,\"probes\":{",
                s, sig >= 0 ? "fail" : "pass", (unsigned long long)g.rng, steps, t, steps * 2,
                sig >= 0 ? sigs[sig] : "", sig >= 0 ? sigs[sig] : "",
                sig == 0 ? ": total 150 != 200" : "", sig >= 0 ? steps : 0, sig >= 0 ? t : 0,
                900000 + rnd(&g, 900000));
        if (ph)
            fprintf(o, "\"overdraft-attempt\":%u", ph);
        fputs("}}\n", o);
    }
    fprintf(o, "{\"type\":\"summary\",\"status\":\"fail\",\"seeds\":%u,\"pass\":%u,\"fail\":%u,"
               "\"error\":0,\"wall_ns\":%llu,\"stopped_early\":false,\"probes\":{"
               "\"overdraft-attempt\":{\"hits\":%u,\"seeds\":%u}},\"missing_probes\":"
               "[\"double-restart\"]}\n",
            seeds, seeds - fails, fails, (unsigned long long)seeds * 350000ull, hits, hit_seeds);
    return fclose(o) ? 1 : 0;
}

static double now_ms(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gen_trace trace OUT [EVENTS] [SEED] | sweep OUT [SEEDS] | "
                        "run-html TRACE OUT | sweep-html SWEEP OUT\n");
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "trace"))
        return write_trace(argv[2], argc > 3 ? strtoull(argv[3], NULL, 10) : 400,
                           argc > 4 ? strtoull(argv[4], NULL, 10) : 42);
    if (!strcmp(cmd, "sweep"))
        return write_sweep(argv[2], argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 500);
    if (argc < 4)
        return 2;
    char err[512] = "";
    double t0 = now_ms();
    int rc = !strcmp(cmd, "run-html")     ? kr__report_run(argv[2], argv[3], err, sizeof err)
             : !strcmp(cmd, "sweep-html") ? kr__report_sweep(argv[2], argv[3], err, sizeof err)
                                          : 1;
    if (rc) {
        fprintf(stderr, "gen_trace: %s\n", err[0] ? err : "unknown command");
        return 1;
    }
    printf("%s: %.1f ms\n", argv[3], now_ms() - t0);
    return 0;
}
