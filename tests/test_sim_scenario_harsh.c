/* Sim only: scenarios speak the harsh world (issue 12): scripted power_off,
 * cut, pause, clock and disk actions; per-node clock, disk and late start;
 * random faults limited to chosen nodes and kinds, with or without
 * restarts. Checked through the run's verbose event log. */
#include "harness.h"

#include "scenario_internal.h"

#include <unistd.h>

static char dir[] = "/tmp/kairos-harsh-test.XXXXXX";

static scenario *load_text(const char *name, const char *yaml)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.yaml", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(yaml, f);
    fclose(f);
    scenario *s = NULL;
    char err[512] = "";
    int rc = kr__sc_load(path, &s, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "load: %s\n", err);
    assert_int_equal(rc, 0);
    return s;
}

/* Runs one seed with the verbose log captured; returns the log. */
static char *run_logged(const scenario *s, uint64_t seed, sc_result *r)
{
    char *log = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&log, &len);
    assert_non_null(out);
    sc_options o = {.seed = seed, .log = out};
    assert_int_equal(kr__sc_run(s, &o, r), 0);
    fclose(out);
    /* A copy: gcc 12 -O3 takes open_memstream's buffer for a pointer into
     * this frame (&log escaped) and warns (-Wdangling-pointer) at every use. */
    char *copy = strdup(log);
    assert_non_null(copy);
    free(log);
    return copy;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* A process that records its node's clock at start and when asked. */
static kr_time clock_read[4];
static int clock_reads;

static void read_now(kr_process *self)
{
    (void)self;
    if (clock_reads < 4)
        clock_read[clock_reads++] = kr_clock_now();
}

static void read_now_action(kr_process *self, const void *arg)
{
    (void)arg;
    read_now(self);
}

static kr_process *reader_make(const char *id, const kr_sc_args *a)
{
    (void)a;
    static const kr_process_ops ops = {.initialize = read_now};
    kr_process *p = calloc(1, sizeof *p);
    kr_process_init(p, id, &ops);
    return p;
}

static void scripted_actions_reach_the_simulator(void **state)
{
    (void)state;
    scenario *s = load_text("actions",
                            "nodes:\n"
                            "  - name: a\n"
                            "    processes:\n"
                            "      - {id: echo, type: echo}\n"
                            "  - name: b\n"
                            "    processes:\n"
                            "      - id: asker\n"
                            "        type: requester\n"
                            "        args: {to: echo, count: 20, interval: 10ms}\n"
                            "script:\n"
                            "  - {at: 20ms, cut: b, to: a}\n"
                            "  - {at: 40ms, heal: true}\n"
                            "  - {at: 50ms, pause: a, for: 30ms}\n"
                            "  - {at: 60ms, clock: b, offset: -2s, drift: 1e-3}\n"
                            "  - {at: 70ms, disk: a, write_error: 0.5, corrupt: 0.1}\n"
                            "  - {at: 100ms, power_off: a}\n"
                            "  - {at: 150ms, restart: a}\n");
    sc_result r;
    char *log = run_logged(s, 1, &r);
    assert_int_equal(count(log, " cut "), 1);
    assert_int_equal(count(log, " pause "), 1);
    assert_int_equal(count(log, " resume "), 1);
    assert_int_equal(count(log, " clock "), 1);
    assert_non_null(strstr(log, "offset -2.000000s drift +0.001"));
    assert_int_equal(count(log, " power-off "), 1);
    assert_int_equal(count(log, " restart "), 1);
    const char *cut = strstr(log, " cut "), *heal = strstr(log, " heal ");
    assert_true(cut && heal && cut < heal);
    free(log);
    kr__sc_result_free(&r);
    kr__sc_free(s);
}

static void nodes_have_their_own_clock_and_may_join_late(void **state)
{
    (void)state;
    assert_int_equal(kr_actor_register("test-clock-reader", reader_make, "reads its clock"), 0);
    assert_int_equal(kr_action_register("test-clock-reader", "read", read_now_action), 0);
    scenario *s = load_text("clocks",
                            "nodes:\n"
                            "  - name: a\n"
                            "    processes:\n"
                            "      - {id: r, type: test-clock-reader}\n"
                            "  - name: b\n"
                            "    start: 200ms\n"
                            "    clock: {offset: 5s}\n"
                            "    disk: {read_error: 0.25}\n"
                            "    processes:\n"
                            "      - {id: late, type: test-clock-reader}\n"
                            "script:\n"
                            "  - {at: 100ms, post: hello, to: late}\n");
    clock_reads = 0;
    sc_result r;
    char *log = run_logged(s, 1, &r);
    assert_int_equal(clock_reads, 2);
    /* a starts at once; b joins 200 ms later, its clock 5 s ahead. */
    assert_int_equal(clock_read[1] - clock_read[0], KR_SEC(5) + KR_MSEC(200));
    /* The post came before b's processes existed (it went nowhere). */
    const char *post = strstr(log, " stimulus "), *init = NULL;
    for (const char *p = strstr(log, " init "); p && !init; p = strstr(p + 1, " init ")) {
        const char *line = p;
        while (line > log && line[-1] != '\n')
            line--;
        if (strstr(line, " late ") && strstr(line, " late ") < p)
            init = p;
    }
    assert_true(post && init && post < init);
    free(log);
    kr__sc_result_free(&r);
    kr__sc_free(s);
}

static void random_faults_hit_only_chosen_nodes_and_kinds(void **state)
{
    (void)state;
    scenario *s = load_text("random",
                            "nodes:\n"
                            "  - name: a\n"
                            "    processes:\n"
                            "      - {id: echo, type: echo}\n"
                            "  - name: b\n"
                            "    address: 10.0.0.7:5050\n"
                            "    processes:\n"
                            "      - {id: asker, type: requester, args: {to: echo, count: 5}}\n"
                            "faults:\n"
                            "  random:\n"
                            "    every: [10ms, 20ms]\n"
                            "    until: 200ms\n"
                            "    kinds: [power_off]\n"
                            "    nodes: [b]\n"
                            "    restart: false\n");
    sc_result r;
    char *log = run_logged(s, 3, &r);
    size_t offs = count(log, " power-off ");
    assert_true(offs >= 1);
    assert_int_equal(count(log, " crash "), 0);
    assert_int_equal(count(log, " restart "), 0); /* stays down */
    for (const char *p = strstr(log, " power-off "); p; p = strstr(p + 1, " power-off ")) {
        const char *line = p;
        while (line > log && line[-1] != '\n')
            line--;
        assert_non_null(strstr(line, "10.0.0.7:5050")); /* only b */
        assert_true(strstr(line, "10.0.0.7:5050") < p);
    }
    free(log);
    kr__sc_result_free(&r);
    kr__sc_free(s);

    /* Both kinds enabled: the seed chooses between crash and power-off. */
    s = load_text("choose",
                  "nodes:\n"
                  "  - {name: a}\n"
                  "  - {name: b}\n"
                  "faults:\n"
                  "  random: {every: [5ms, 10ms], until: 500ms, kinds: [crash, power_off]}\n");
    log = run_logged(s, 1, &r);
    assert_true(count(log, " crash ") > 0);
    assert_true(count(log, " power-off ") > 0);
    assert_true(count(log, " restart ") > 0);
    free(log);
    kr__sc_result_free(&r);
    kr__sc_free(s);
}

int main(void)
{
    assert_non_null(mkdtemp(dir));
    kr__sc_builtins_register();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scripted_actions_reach_the_simulator),
        cmocka_unit_test(nodes_have_their_own_clock_and_may_join_late),
        cmocka_unit_test(random_faults_hit_only_chosen_nodes_and_kinds),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}
