/* Sim only: the YAML scenario loader (sim/harness/scenario/load.c).
 *
 * Every file in tests/scenarios/bad/ starts with "# expect: LINE:COL text":
 * loading it must fail with KR_EFORMAT and "FILE:LINE:COL: ...text...".
 * The good files are parsed into exactly the values FORMAT.md promises. */
#include "harness.h"

#include "scenario_internal.h"

#include <dirent.h>
#include <unistd.h>

#ifndef KAIROS_TEST_SCENARIOS
#error "KAIROS_TEST_SCENARIOS (tests/scenarios) must be defined by tests/CMakeLists.txt"
#endif

/* ---- fake types, actions and invariants the scenarios name ------------------ */

static kr_process *make_nothing(const char *id, const kr_sc_args *args)
{
    (void)id;
    (void)args;
    return NULL; /* never spawned: the loader only checks the name */
}

static void act_nothing(kr_process *self, const void *arg)
{
    (void)self;
    (void)arg;
}

static bool holds(char *why, size_t why_len)
{
    (void)why;
    (void)why_len;
    return true;
}

static int setup_registry(void **state)
{
    (void)state;
    /* KR_EEXIST on a second call is fine: the registry is process-wide. */
    kr_actor_register("pinger", make_nothing, "test");
    kr_actor_register("account", make_nothing, "test");
    kr_action_register("pinger", "start", act_nothing);
    kr_invariant_register("money-conserved", holds, "test");
    kr_invariant_register("leader-elected", holds, "test");
    return 0;
}

/* ---- helpers ------------------------------------------------------------------- */

static char *path_of(const char *dir, const char *name)
{
    size_t n = strlen(KAIROS_TEST_SCENARIOS) + strlen(dir) + strlen(name) + 3;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s/%s", KAIROS_TEST_SCENARIOS, dir, name);
    return p;
}

static scenario *load_ok(const char *dir, const char *name)
{
    char *path = path_of(dir, name);
    char err[1024] = "";
    scenario *s = NULL;
    int rc = kr__sc_load(path, &s, err, sizeof err);
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_non_null(s);
    assert_string_equal(s->file, path);
    free(path);
    return s;
}

/* Writes `text` to a temporary .yaml file; returns its path (to free). */
static char *temp_yaml(const char *text)
{
    char *path = strdup("/tmp/kairos-load-XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

/* Loads text; returns the rc and fills err (s freed). */
static int load_text(const char *text, char *err, size_t err_len, scenario **keep)
{
    char *path = temp_yaml(text);
    scenario *s = NULL;
    int rc = kr__sc_load(path, &s, err, err_len);
    unlink(path);
    free(path);
    if (keep)
        *keep = s;
    else
        kr__sc_free(s);
    return rc;
}

/* ---- bad files ------------------------------------------------------------------ */

typedef struct expectation {
    int line, col;
    char text[256];
} expectation;

/* "# expect: LINE:COL text" on the first line. */
static bool read_expectation(const char *path, expectation *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char first[400] = "";
    bool ok = fgets(first, sizeof first, f) != NULL;
    fclose(f);
    first[strcspn(first, "\r\n")] = '\0';
    int used = 0;
    if (!ok || sscanf(first, "# expect: %d:%d %n", &e->line, &e->col, &used) != 2 || used == 0)
        return false;
    snprintf(e->text, sizeof e->text, "%s", first + used);
    return e->text[0] != '\0';
}

/* Checks one bad file; prints and returns false on a mismatch. */
static bool check_bad(const char *path)
{
    expectation e;
    if (!read_expectation(path, &e)) {
        print_error("%s: first line is not \"# expect: LINE:COL text\"\n", path);
        return false;
    }
    char err[1024] = "";
    scenario *s = NULL;
    int rc = kr__sc_load(path, &s, err, sizeof err);
    char prefix[1200];
    snprintf(prefix, sizeof prefix, "%s:%d:%d: ", path, e.line, e.col);
    bool ok = rc == KR_EFORMAT && s == NULL && strncmp(err, prefix, strlen(prefix)) == 0 &&
              strstr(err + strlen(prefix), e.text) != NULL;
    if (!ok)
        print_error("%s: expected rc %d and \"%d:%d: ...%s...\"\n  got rc %d: %s\n", path,
                    KR_EFORMAT, e.line, e.col, e.text, rc, err);
    kr__sc_free(s);
    return ok;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void bad_files_report_positions(void **state)
{
    (void)state;
    char *dir_path = path_of("bad", "");
    DIR *dir = opendir(dir_path);
    assert_non_null(dir);
    char *names[1024];
    size_t n = 0;
    struct dirent *d;
    while ((d = readdir(dir)) && n < 1024) {
        size_t len = strlen(d->d_name);
        if (len > 5 && strcmp(d->d_name + len - 5, ".yaml") == 0)
            names[n++] = strdup(d->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof *names, by_name);
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        char *path = path_of("bad", names[i]);
        if (!check_bad(path))
            failed++;
        free(path);
        free(names[i]);
    }
    free(dir_path);
    print_message("%zu malformed scenario files, %zu mismatches\n", n, failed);
    assert_true(n >= 50);
    assert_int_equal(failed, 0);
}

/* ---- good files ----------------------------------------------------------------- */

static void full_scenario_values(void **state)
{
    (void)state;
    scenario *s = load_ok("good", "full.yaml");
    assert_string_equal(s->name, "bank-transfer");
    assert_string_equal(s->description, "Two tellers move money between accounts.\n");

    assert_int_equal(s->n_nodes, 3);
    assert_string_equal(s->nodes[0].name, "bank");
    assert_string_equal(s->nodes[0].address, "10.0.0.1:6000");
    /* teller has no address: the lowest free 10.0.0.N:5050 */
    assert_string_equal(s->nodes[1].address, "10.0.0.1:5050");
    assert_string_equal(s->nodes[2].address, "10.0.0.2:5050");
    assert_int_equal(s->nodes[1].pos.line, 14);
    assert_int_equal(s->nodes[1].pos.col, 5);

    assert_int_equal(s->n_procs, 4);
    assert_string_equal(s->procs[0].id, "account");
    assert_string_equal(s->procs[0].type, "account");
    assert_int_equal(s->procs[0].node, 0);
    const sc_value *args = s->procs[0].args;
    assert_non_null(args);
    assert_int_equal(args->kind, SC_MAP);
    assert_int_equal(args->n, 2);
    assert_string_equal(args->keys[0], "balance");
    assert_string_equal(args->items[0]->text, "100");
    assert_int_equal(args->items[0]->pos.line, 12);
    assert_int_equal(args->items[0]->pos.col, 20);
    assert_int_equal(args->items[1]->kind, SC_LIST);
    assert_int_equal(args->items[1]->n, 2);
    assert_string_equal(args->items[1]->items[1]->text, "20");
    assert_string_equal(s->procs[1].id, "teller1");
    assert_int_equal(s->procs[1].node, 1);
    assert_string_equal(s->procs[1].args->keys[0], "peer");
    assert_null(s->procs[2].args);
    assert_int_equal(s->procs[3].node, 2);

    assert_int_equal(s->net.latency_min, KR_MSEC(2));
    assert_int_equal(s->net.latency_max, KR_MSEC(20));
    assert_true(s->net.drop == 0.01);
    assert_true(s->net.duplicate == 0.005);
    assert_int_equal(s->n_links, 3);
    assert_int_equal(s->links[0].from, 0);
    assert_int_equal(s->links[0].to, 1);
    assert_int_equal(s->links[0].net.latency_min, KR_MSEC(50));
    assert_int_equal(s->links[0].net.latency_max, KR_MSEC(50));
    assert_true(s->links[0].net.drop == 0.1);
    assert_true(s->links[0].net.duplicate == 0.005); /* inherited */
    assert_int_equal(s->links[1].from, 2);
    assert_int_equal(s->links[1].to, 0);
    assert_int_equal(s->links[2].from, 0); /* both_ways */
    assert_int_equal(s->links[2].to, 2);
    assert_true(s->links[2].net.duplicate == 0.5);
    assert_int_equal(s->links[2].net.latency_max, KR_MSEC(20));

    /* Sorted by time, file order among equal times. */
    assert_int_equal(s->n_actions, 9);
    const sc_action *a = s->actions;
    assert_int_equal(a[0].kind, SC_HTTP);
    assert_int_equal(a[0].at, 0);
    assert_string_equal(a[0].method, "POST");
    assert_string_equal(a[0].path, "/account/deposit?amount=5");
    assert_int_equal(a[0].node, 0);
    assert_int_equal(a[0].body_len, 3);
    assert_memory_equal(a[0].body, "a\0b", 3);
    assert_int_equal(a[1].kind, SC_POST);
    assert_int_equal(a[1].at, KR_MSEC(250));
    assert_string_equal(a[1].name, "deposit");
    assert_int_equal(a[1].target, 0);
    assert_string_equal(a[1].body, "50");
    assert_int_equal(a[1].body_len, 2);
    assert_int_equal(a[1].pos.line, 39);
    assert_int_equal(a[2].kind, SC_DISPATCH);
    assert_string_equal(a[2].name, "start");
    assert_int_equal(a[2].target, 1);
    assert_int_equal(a[3].kind, SC_CRASH);
    assert_int_equal(a[3].at, KR_SEC(1));
    assert_int_equal(a[3].node, 2);
    assert_int_equal(a[4].kind, SC_RESTART);
    assert_int_equal(a[4].at, KR_MSEC(1500));
    assert_int_equal(a[5].kind, SC_PARTITION);
    assert_int_equal(a[5].na, 1);
    assert_int_equal(a[5].side_a[0], 0);
    assert_int_equal(a[5].nb, 2);
    assert_int_equal(a[5].side_b[0], 1);
    assert_int_equal(a[5].side_b[1], 2);
    assert_int_equal(a[6].kind, SC_HEAL);
    assert_int_equal(a[6].at, KR_MSEC(2500));
    assert_int_equal(a[7].kind, SC_CLOG);
    assert_int_equal(a[7].from_node, 1);
    assert_int_equal(a[7].to_node, 0);
    assert_int_equal(a[7].duration, KR_MSEC(100));
    assert_int_equal(a[8].kind, SC_PARTITION); /* [audit] vs the rest */
    assert_int_equal(a[8].na, 1);
    assert_int_equal(a[8].side_a[0], 2);
    assert_int_equal(a[8].nb, 2);
    assert_int_equal(a[8].side_b[0], 0);
    assert_int_equal(a[8].side_b[1], 1);

    const sc_random_faults *f = &s->random_faults;
    assert_true(f->enabled);
    assert_int_equal(f->every_min, KR_MSEC(500));
    assert_int_equal(f->every_max, KR_SEC(2));
    assert_int_equal(f->until, KR_SEC(20));
    assert_int_equal(f->heal_min, KR_MSEC(50));
    assert_int_equal(f->heal_max, KR_MSEC(300));
    assert_true(f->partition && f->clog && !f->crash);

    assert_int_equal(s->n_invariants, 2);
    assert_string_equal(s->invariants[1], "leader-elected");
    assert_int_equal(s->invariant_pos[1].line, 68);
    assert_int_equal(s->invariant_pos[1].col, 31);

    assert_int_equal(s->n_expects, 5);
    assert_int_equal(s->expects[0].kind, SC_EXPECT_DELIVERED);
    assert_string_equal(s->expects[0].name, "deposit");
    assert_int_equal(s->expects[0].at_least, 2);
    assert_int_equal(s->expects[1].kind, SC_EXPECT_QUIESCENT);
    assert_int_equal(s->expects[2].kind, SC_EXPECT_HTTP);
    assert_string_equal(s->expects[2].method, "GET");
    assert_string_equal(s->expects[2].path, "/account/balance");
    assert_int_equal(s->expects[2].node, 0);
    assert_int_equal(s->expects[2].status, 404);
    assert_string_equal(s->expects[2].body, "150");
    assert_int_equal(s->expects[3].kind, SC_EXPECT_INVARIANT);
    assert_string_equal(s->expects[3].name, "money-conserved");
    assert_int_equal(s->expects[4].kind, SC_EXPECT_PROBE);
    assert_int_equal(s->expects[4].at_least, 3);

    assert_string_equal(s->liveness_check, "leader-elected");
    assert_int_equal(s->liveness_within, KR_SEC(5));
    assert_int_equal(s->n_require_probes, 2);
    assert_string_equal(s->require_probes[1], "retry");
    assert_int_equal(s->time_limit, KR_SEC(30));
    assert_int_equal(s->step_limit, 50000);
    assert_int_equal(s->wall_limit, KR_MSEC(1500));
    assert_int_equal(s->memory_limit, 512u << 20);
    assert_int_equal(s->event_cost_max, KR_USEC(100));
    assert_int_equal(s->seed_first, 5);
    assert_int_equal(s->seed_last, 500);
    assert_string_equal(s->strategy, "pct");
    assert_int_equal(s->pct_depth, 4);
    assert_non_null(s->root);
    kr__sc_free(s);
}

static void minimal_scenario_defaults(void **state)
{
    (void)state;
    scenario *s = load_ok("good", "minimal.yaml");
    assert_string_equal(s->name, "minimal"); /* the file's base name */
    assert_string_equal(s->description, "");
    assert_int_equal(s->n_nodes, 1);
    assert_string_equal(s->nodes[0].address, "10.0.0.1:5050");
    assert_int_equal(s->n_procs, 1);
    assert_null(s->procs[0].args);
    assert_int_equal(s->net.latency_min, KR_MSEC(1));
    assert_int_equal(s->net.latency_max, KR_MSEC(10));
    assert_true(s->net.drop == 0 && s->net.duplicate == 0);
    assert_int_equal(s->n_links, 0);
    assert_int_equal(s->n_actions, 0);
    assert_false(s->random_faults.enabled);
    assert_int_equal(s->n_invariants, 0);
    assert_int_equal(s->n_expects, 0);
    assert_null(s->liveness_check);
    assert_int_equal(s->n_require_probes, 0);
    assert_int_equal(s->time_limit, KR_SEC(60));
    assert_int_equal(s->step_limit, 1000000);
    assert_int_equal(s->wall_limit, KR_SEC(60)); /* on by default: a sweep never hangs */
    assert_int_equal(s->memory_limit, 0);
    assert_int_equal(s->event_cost_max, 0);
    assert_int_equal(s->seed_first, 1);
    assert_int_equal(s->seed_last, 1000);
    assert_string_equal(s->strategy, "random");
    assert_int_equal(s->pct_depth, 3);
    kr__sc_free(s);
}

static void random_fault_defaults(void **state)
{
    (void)state;
    char err[512];
    scenario *s;
    int rc = load_text("nodes: [{name: a}, {name: b}]\n"
                       "faults: {random: {}}\n"
                       "limits: {time: 10s}\n",
                       err, sizeof err, &s);
    assert_int_equal(rc, 0);
    const sc_random_faults *f = &s->random_faults;
    assert_true(f->enabled);
    assert_int_equal(f->every_min, KR_SEC(1));
    assert_int_equal(f->every_max, KR_SEC(5));
    assert_int_equal(f->until, KR_SEC(10)); /* 30s, capped at the time limit */
    assert_int_equal(f->heal_min, KR_MSEC(100));
    assert_int_equal(f->heal_max, KR_SEC(1));
    assert_true(f->partition && f->crash && f->clog);
    assert_int_equal(f->pos.line, 2);
    assert_int_equal(f->pos.col, 18);
    kr__sc_free(s);

    rc = load_text("nodes: [{name: a}]\nfaults: {random: {enabled: false}}\n", err, sizeof err,
                   &s);
    assert_int_equal(rc, 0);
    assert_false(s->random_faults.enabled);
    kr__sc_free(s);
}

/* Durations through a key that takes any (event_cost: max). */
static int duration_of(const char *text, kr_duration *out)
{
    char yaml[256], err[512];
    snprintf(yaml, sizeof yaml, "nodes: [{name: a}]\nevent_cost: {max: \"%s\"}\n", text);
    scenario *s;
    int rc = load_text(yaml, err, sizeof err, &s);
    if (rc == 0)
        *out = s->event_cost_max;
    kr__sc_free(s);
    return rc;
}

static void durations(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        kr_duration ns;
    } good[] = {
        {"0", 0},
        {"5ns", 5},
        {"10us", KR_USEC(10)},
        {"250ms", KR_MSEC(250)},
        {"2s", KR_SEC(2)},
        {"1.5s", KR_MSEC(1500)},
        {"0.25ms", KR_USEC(250)},
        {"1.000000001s", KR_SEC(1) + 1},
        {"1.5us", 1500},
        {"1m", KR_SEC(60)},
        {"1h", KR_SEC(3600)},
        {"0.5h", KR_SEC(1800)},
        {"1.0ns", 1}, /* zero digits past the unit's resolution are fine */
        {"2.500000000ms", KR_USEC(2500)},
        {"42", 42},
        {"9223372036854775807", INT64_MAX},
        {"9223372036854775807ns", INT64_MAX},
        {"9223372036s", KR_SEC(9223372036)},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        kr_duration d = -7;
        int rc = duration_of(good[i].text, &d);
        if (rc != 0)
            print_error("duration %s rejected\n", good[i].text);
        assert_int_equal(rc, 0);
        assert_int_equal(d, good[i].ns);
    }
    static const char *const bad[] = {
        "", "-1ms", "+1ms", "1.5ns", "1.", ".5s", "1 s", "1sec", "1S", "ms", "1e3",
        "9223372036854775808", "9223372037s", "99999999999999999999999h", "1.2.3s",
        "0x10", "1ms ", "10d", "1.0000000001s",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        kr_duration d;
        if (duration_of(bad[i], &d) != KR_EFORMAT)
            print_error("duration \"%s\" accepted\n", bad[i]);
        assert_int_equal(duration_of(bad[i], &d), KR_EFORMAT);
    }
}

static void actions_sort_stably(void **state)
{
    (void)state;
    char err[512];
    scenario *s;
    int rc = load_text("nodes: [{name: a}, {name: b}]\n"
                       "script:\n"
                       "  - {at: 3s, crash: a}\n"
                       "  - {at: 1s, crash: b}\n"
                       "  - {at: 3s, restart: a}\n"
                       "  - {at: 0, heal: true}\n"
                       "  - {at: 1s, restart: b}\n"
                       "  - {at: 3s, heal: ~}\n",
                       err, sizeof err, &s);
    if (rc)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    static const int lines[] = {6, 4, 7, 3, 5, 8};
    assert_int_equal(s->n_actions, 6);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(s->actions[i].pos.line, lines[i]);
    kr__sc_free(s);
}

static void addresses_and_references(void **state)
{
    (void)state;
    char err[512];
    scenario *s;
    int rc = load_text("nodes:\n"
                       "  - {name: a}\n"
                       "  - {name: b, address: 10.0.0.1:5050}\n"
                       "  - {name: c, address: 010.000.0.3:05050}\n"
                       "  - name: d\n"
                       "    processes: [{id: x, type: pinger}]\n"
                       "  - name: e\n"
                       "    processes: [{id: x, type: pinger}, {id: y, type: pinger}]\n"
                       "script:\n"
                       "  - {at: 1ms, post: m, to: x@e}\n"
                       "  - {at: 2ms, post: m, to: y}\n"
                       "  - {at: 3ms, dispatch: start, to: x@d}\n",
                       err, sizeof err, &s);
    if (rc)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(s->nodes[0].address, "10.0.0.2:5050"); /* .1 is b's */
    assert_string_equal(s->nodes[2].address, "10.0.0.3:5050"); /* canonical */
    assert_string_equal(s->nodes[3].address, "10.0.0.4:5050");
    assert_int_equal(s->actions[0].target, 1);
    assert_int_equal(s->actions[1].target, 2);
    assert_null(s->actions[1].body);
    assert_int_equal(s->actions[2].target, 0);
    kr__sc_free(s);
}

static void io_errors_and_small_buffers(void **state)
{
    (void)state;
    char err[512];
    scenario *s = (scenario *)(uintptr_t)1; /* must be reset to NULL */
    assert_int_equal(kr__sc_load("/nonexistent/x.yaml", &s, err, sizeof err), KR_EIO);
    assert_null(s);
    assert_non_null(strstr(err, "/nonexistent/x.yaml: cannot open"));
    assert_int_equal(kr__sc_load("/tmp", &s, err, sizeof err), KR_EIO);
    assert_int_equal(kr__sc_load(NULL, &s, err, sizeof err), KR_EINVAL);
    /* A tiny or absent error buffer is never overrun. */
    char tiny[8] = "xxxxxxx";
    assert_int_equal(load_text("- a\n", tiny, 4, NULL), KR_EFORMAT);
    assert_int_equal(strlen(tiny), 3);
    assert_int_equal(load_text("- a\n", NULL, 0, NULL), KR_EFORMAT);
}

/* Inputs built in code: too big to keep as files. */
static void limits_hold(void **state)
{
    (void)state;
    char err[512];
    /* 100,000 nested lists: rejected at depth 65, not parsed to the end. */
    size_t n = 100000;
    char *deep = malloc(2 * n + 16);
    assert_non_null(deep);
    memcpy(deep, "nodes: ", 7);
    memset(deep + 7, '[', n);
    memset(deep + 7 + n, ']', n);
    deep[7 + 2 * n] = '\0';
    assert_int_equal(load_text(deep, err, sizeof err, NULL), KR_EFORMAT);
    assert_non_null(strstr(err, ":1:"));
    assert_non_null(strstr(err, "nesting deeper than 64 levels"));
    free(deep);

    /* 65 nodes: one more than the simulator holds. */
    char *many = malloc(65 * 24 + 16);
    assert_non_null(many);
    strcpy(many, "nodes:\n");
    for (int i = 0; i < 65; i++)
        sprintf(many + strlen(many), "  - name: n%d\n", i);
    assert_int_equal(load_text(many, err, sizeof err, NULL), KR_EFORMAT);
    assert_non_null(strstr(err, ":66:5: too many nodes"));
    free(many);

    /* A mapping with 200,000 distinct keys and one repeat: found fast. */
    size_t keys = 200000;
    char *wide = malloc(keys * 32 + 128);
    assert_non_null(wide);
    strcpy(wide, "nodes:\n  - name: a\n    processes:\n      - id: p\n        type: pinger\n"
                 "        args:\n");
    char *end = wide + strlen(wide);
    for (size_t i = 0; i < keys; i++)
        end += sprintf(end, "          k%zu: 1\n", i == keys - 1 ? (size_t)7 : i);
    assert_int_equal(load_text(wide, err, sizeof err, NULL), KR_EFORMAT);
    assert_non_null(strstr(err, "duplicate key 'k7' (first at 14:11)"));
    free(wide);

    /* Past 16 MiB: refused before parsing. */
    size_t big = 16u * 1024 * 1024 + 1;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, '#', big);
    huge[big] = '\0';
    assert_int_equal(load_text(huge, err, sizeof err, NULL), KR_EFORMAT);
    assert_non_null(strstr(err, ":1:1: file larger than 16777216 bytes"));
    free(huge);
}

/* The annotated example of scenarios/FORMAT.md loads as described there. */
static void format_example_loads(void **state)
{
    (void)state;
    char *path = path_of("../../scenarios", "FORMAT.md");
    FILE *f = fopen(path, "rb");
    free(path);
    assert_non_null(f);
    static char doc[64 * 1024];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    char *start = strstr(doc, "```yaml\n");
    assert_non_null(start);
    start += strlen("```yaml\n");
    char *end = strstr(start, "\n```");
    assert_non_null(end);
    end[1] = '\0';
    char err[512];
    scenario *s;
    int rc = load_text(start, err, sizeof err, &s);
    if (rc)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(s->name, "bank-transfer");
    assert_int_equal(s->n_nodes, 3);
    assert_string_equal(s->nodes[1].address, "10.0.0.1:5050");
    assert_int_equal(s->n_actions, 9);
    assert_int_equal(s->actions[0].kind, SC_HTTP);
    assert_int_equal(s->actions[2].kind, SC_DISPATCH);
    assert_int_equal(s->links[0].net.latency_min, KR_MSEC(50));
    assert_true(s->links[0].net.duplicate == 0.005);
    assert_int_equal(s->expects[2].status, 200);
    kr__sc_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_files_report_positions),
        cmocka_unit_test(full_scenario_values),
        cmocka_unit_test(minimal_scenario_defaults),
        cmocka_unit_test(random_fault_defaults),
        cmocka_unit_test(durations),
        cmocka_unit_test(actions_sort_stably),
        cmocka_unit_test(addresses_and_references),
        cmocka_unit_test(io_errors_and_small_buffers),
        cmocka_unit_test(limits_hold),
        cmocka_unit_test(format_example_loads),
    };
    return cmocka_run_group_tests(tests, setup_registry, NULL);
}
