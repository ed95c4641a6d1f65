/* Sim only: the scenario runner in-process (kr__sc_load + kr__sc_run): the
 * built-in actor types, scripted stimuli and faults, seeded random faults,
 * invariants, expectations, liveness, limits, bad actor arguments reported
 * at their place in the file, and traces that read back. */
#include "harness.h"

#include "scenario_internal.h"

#include <unistd.h>

static char dir[] = "/tmp/kairos-run-test.XXXXXX";

/* Writes `yaml` to a file of the test's directory and loads it. */
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

static sc_result run(const scenario *s, uint64_t seed)
{
    sc_options o = {.seed = seed};
    sc_result r;
    assert_int_equal(kr__sc_run(s, &o, &r), 0);
    return r;
}

static const char ECHO_NODES[] =
    "nodes:\n"
    "  - name: server\n"
    "    processes:\n"
    "      - {id: echo, type: echo}\n"
    "      - {id: tally, type: counter, args: {name: inc, limit: 3}}\n"
    "  - name: client\n"
    "    processes:\n"
    "      - id: asker\n"
    "        type: requester\n"
    "        args: {to: echo, count: 4, interval: 5ms}\n"
    "      - {id: relay, type: forwarder, args: {name: inc, to: tally}}\n";

static void builtins_and_expectations_pass(void **state)
{
    (void)state;
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "%s"
             "script:\n"
             "  - {at: 1ms, post: inc, to: relay}\n"
             "  - {at: 2ms, post: inc, to: relay, body: \"x\"}\n"
             "  - {at: 3ms, http: GET /echo/nothing, node: server}\n"
             "  - {at: 30ms, dispatch: reset, to: tally}\n"
             "invariants: [counter-at-most]\n"
             "expect:\n"
             "  - {delivered: ping, at_least: 4}\n"
             "  - {invariant: requests-answered}\n"
             "  - {quiescent: true}\n"
             "  - {http: GET /__processes__, node: server, status: 200, body: tally}\n",
             ECHO_NODES);
    scenario *s = load_text("pass", yaml);
    sc_result r = run(s, 3);
    if (r.status != SC_PASS)
        fprintf(stderr, "failure: %s\n", r.failure);
    assert_int_equal(r.status, SC_PASS);
    assert_true(r.steps > 10);
    assert_true(r.n_decisions > 0);
    sc_result again = run(s, 3);
    assert_true(again.hash == r.hash); /* same seed, same hash */
    kr__sc_result_free(&again);
    kr__sc_result_free(&r);
    kr__sc_free(s);
}

static void failing_expectations_have_signatures(void **state)
{
    (void)state;
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "%s"
             "expect:\n"
             "  - {delivered: never-sent, at_least: 1}\n",
             ECHO_NODES);
    scenario *s = load_text("undelivered", yaml);
    sc_result r = run(s, 1);
    assert_int_equal(r.status, SC_FAIL);
    assert_string_equal(r.signature, "expect delivered never-sent");
    kr__sc_result_free(&r);
    kr__sc_free(s);

    snprintf(yaml, sizeof yaml,
             "%s"
             "script:\n"
             "  - {at: 1ms, post: inc, to: relay}\n"
             "  - {at: 1ms, post: inc, to: relay}\n"
             "  - {at: 1ms, post: inc, to: relay}\n"
             "  - {at: 1ms, post: inc, to: relay}\n"
             "invariants: [counter-at-most]\n",
             ECHO_NODES);
    s = load_text("over", yaml);
    r = run(s, 1);
    assert_int_equal(r.status, SC_FAIL);
    assert_string_equal(r.signature, "invariant counter-at-most");
    assert_non_null(strstr(r.failure, "counted 4 > limit 3"));
    assert_true(r.fail_step > 0);
    kr__sc_result_free(&r);
    kr__sc_free(s);

    snprintf(yaml, sizeof yaml,
             "%s"
             "expect:\n"
             "  - {http: GET /echo/x, node: server, status: 200}\n"
             "  - {probe: never-probed, at_least: 1}\n",
             ECHO_NODES);
    s = load_text("http404", yaml);
    r = run(s, 1);
    assert_int_equal(r.status, SC_FAIL);
    assert_string_equal(r.signature, "expect http GET /echo/x");
    kr__sc_result_free(&r);
    kr__sc_free(s);
}

static void faults_and_liveness(void **state)
{
    (void)state;
    char yaml[2048];
    /* The requester keeps asking across a partition, a crash and a clog;
     * after the last fault every request must be answered within 1s. */
    snprintf(yaml, sizeof yaml,
             "%s"
             "script:\n"
             "  - {at: 2ms, partition: [[server], [client]]}\n"
             "  - {at: 4ms, heal: }\n"
             "  - {at: 6ms, clog: client, to: server, for: 3ms}\n"
             "  - {at: 8ms, crash: server}\n"
             "  - {at: 9ms, restart: server}\n"
             "faults:\n"
             "  random: {every: [5ms, 10ms], until: 40ms, heal_after: [1ms, 3ms],\n"
             "           kinds: [partition, crash, clog]}\n"
             "liveness: {check: requests-answered, within: 1s}\n",
             ECHO_NODES);
    scenario *s = load_text("faults", yaml);
    int fails = 0, passes = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        sc_result r = run(s, seed);
        assert_int_not_equal(r.status, SC_ERROR);
        if (r.status == SC_FAIL) {
            assert_non_null(strstr(r.signature, "liveness requests-answered"));
            fails++;
        } else {
            passes++;
        }
        kr__sc_result_free(&r);
    }
    /* Lost requests are never answered: some seeds must break liveness. */
    assert_true(fails > 0);
    sc_options o = {.seed = 1, .no_random_faults = true};
    bool skip[16] = {true, true, true, true, true};
    o.skip_actions = skip;
    sc_result r;
    assert_int_equal(kr__sc_run(s, &o, &r), 0);
    assert_int_equal(r.status, SC_PASS); /* without any fault it holds */
    kr__sc_result_free(&r);
    (void)passes;
    kr__sc_free(s);
}

static void step_limit_reports_runaway(void **state)
{
    (void)state;
    scenario *s = load_text("runaway",
                            "nodes:\n"
                            "  - name: a\n"
                            "    processes:\n"
                            "      - {id: f1, type: forwarder, args: {to: f2}}\n"
                            "      - {id: f2, type: forwarder, args: {to: f1}}\n"
                            "script:\n"
                            "  - {at: 0ms, post: ping, to: f1}\n"
                            "limits: {steps: 500}\n");
    sc_result r = run(s, 1);
    assert_int_equal(r.status, SC_FAIL);
    assert_string_equal(r.signature, "limit steps");
    assert_int_equal(r.steps, 500);
    kr__sc_result_free(&r);
    kr__sc_free(s);
}

static void bad_arguments_are_reported_at_their_place(void **state)
{
    (void)state;
    scenario *s = load_text("badargs",
                            "nodes:\n"
                            "  - name: a\n"
                            "    processes:\n"
                            "      - id: asker\n"
                            "        type: requester\n"
                            "        args: {to: nobody, count: many}\n");
    sc_result r = run(s, 1);
    assert_int_equal(r.status, SC_ERROR);
    assert_non_null(strstr(r.failure, "badargs.yaml:6:"));
    assert_non_null(strstr(r.failure, "no process \"nobody\""));
    kr__sc_result_free(&r);
    kr__sc_free(s);

    s = load_text("badcount",
                  "nodes:\n"
                  "  - name: a\n"
                  "    processes:\n"
                  "      - {id: e, type: echo}\n"
                  "      - id: asker\n"
                  "        type: requester\n"
                  "        args: {to: e, count: many, interval: soon}\n");
    r = run(s, 1);
    assert_int_equal(r.status, SC_ERROR);
    assert_non_null(strstr(r.failure, "badcount.yaml:7:"));
    assert_non_null(strstr(r.failure, "'count' must be an integer"));
    kr__sc_result_free(&r);
    kr__sc_free(s);
}

/* Actor arguments read numbers and booleans as scenario fields do
 * (kairos/parse.h): yes/no and leading-zero numbers are refused. */
static void arguments_use_the_one_grammar(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"flag: yes", "'flag' must be true or false, got \"yes\""},
        {"flag: True", "'flag' must be true or false, got \"True\""},
        {"n: 010", "'n' must be an integer"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "nodes:\n  - name: a\n    processes:\n"
                 "      - {id: r, type: arg-reader, args: {%s}}\n",
                 bad[i][0]);
        scenario *s = load_text("grammar", yaml);
        sc_result r = run(s, 1);
        if (!strstr(r.failure, bad[i][1]))
            print_error("%s: got \"%s\"\n", bad[i][0], r.failure);
        assert_int_equal(r.status, SC_ERROR);
        assert_non_null(strstr(r.failure, bad[i][1]));
        kr__sc_result_free(&r);
        kr__sc_free(s);
    }
}

static void traces_read_back(void **state)
{
    (void)state;
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "%sscript:\n  - {at: 1ms, post: inc, to: relay, body: \"a\\0<b>\"}\n",
             ECHO_NODES);
    scenario *s = load_text("traced", yaml);
    char trace[256];
    snprintf(trace, sizeof trace, "%s/run.jsonl", dir);
    sc_options o = {.seed = 9, .trace_path = trace, .no_random_faults = true};
    sc_result r;
    assert_int_equal(kr__sc_run(s, &o, &r), 0);
    sc_trace_info info;
    char err[256];
    assert_int_equal(kr__sc_trace_read(trace, &info, err, sizeof err), 0);
    assert_int_equal(info.seed, 9);
    assert_true(info.hash == r.hash);
    assert_int_equal(info.schedule_len, r.n_decisions);
    assert_true(info.no_random_faults);
    /* Following the schedule under another seed's strategy: same hash. */
    sc_options replay = {.seed = 9, .schedule = info.schedule, .schedule_len = info.schedule_len,
                         .no_random_faults = true};
    sc_result again;
    assert_int_equal(kr__sc_run(s, &replay, &again), 0);
    assert_true(again.hash == r.hash);
    kr__sc_result_free(&again);
    kr__sc_trace_info_free(&info);
    kr__sc_result_free(&r);
    kr__sc_free(s);

    FILE *f = fopen(trace, "w");
    fputs("{\"type\":\"event\"}\n", f);
    fclose(f);
    assert_int_equal(kr__sc_trace_read(trace, &info, err, sizeof err), KR_EFORMAT);
    assert_non_null(strstr(err, "header"));
}

static bool always(char *why, size_t n)
{
    (void)why;
    (void)n;
    return true;
}

static void no_action(kr_process *self, const void *arg)
{
    (void)self;
    (void)arg;
}

static kr_process *no_make(const char *id, const kr_sc_args *a)
{
    (void)id;
    (void)a;
    return NULL;
}

/* ---- invariants at a chosen frequency ---------------------------------------- */

static uint64_t counting_calls;

static bool counting(char *why, size_t n)
{
    (void)why;
    (void)n;
    counting_calls++;
    return true;
}

/* Runs ECHO_NODES with a partition and a heal, the counting invariant
 * checked as `every` says (NULL: the plain list form). */
static uint64_t invariant_calls(const char *every, uint64_t *steps)
{
    char yaml[2048];
    char inv[128];
    if (every)
        snprintf(inv, sizeof inv, "invariants: {check: [test-counting], every: %s}\n", every);
    else
        snprintf(inv, sizeof inv, "invariants: [test-counting]\n");
    snprintf(yaml, sizeof yaml,
             "%s"
             "script:\n"
             "  - {at: 2ms, partition: [server]}\n"
             "  - {at: 40ms, heal: true}\n"
             "%s",
             ECHO_NODES, inv);
    scenario *s = load_text("every", yaml);
    counting_calls = 0;
    sc_result r = run(s, 5);
    assert_int_equal(r.status, SC_PASS);
    *steps = r.steps;
    kr__sc_result_free(&r);
    kr__sc_free(s);
    return counting_calls;
}

static void invariants_run_as_often_as_asked(void **state)
{
    (void)state;
    int rc = kr_invariant_register("test-counting", counting, "counts");
    assert_true(rc == 0 || rc == KR_EEXIST);
    uint64_t steps, plain = invariant_calls(NULL, &steps);
    assert_int_equal(plain, steps); /* after every step */
    uint64_t every_step = invariant_calls("step", &steps);
    assert_int_equal(every_step, steps);
    uint64_t every_4 = invariant_calls("4", &steps);
    /* steps/4, plus after each of the 2 faults, plus the end */
    assert_in_range(every_4, steps / 4 + 1, steps / 4 + 3);
    uint64_t at_end = invariant_calls("end", &steps);
    assert_int_equal(at_end, 3); /* after the partition, after the heal, at the end */
    print_message("steps %llu: every step %llu, every 4 %llu, end %llu\n", (unsigned long long)steps, (unsigned long long)every_step, (unsigned long long)every_4, (unsigned long long)at_end);
    assert_true(every_4 < steps);
}

static void end_only_invariants_still_catch_what_persists(void **state)
{
    (void)state;
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "%s"
             "script:\n"
             "  - {at: 1ms, post: inc, to: relay}\n"
             "  - {at: 1ms, post: inc, to: relay}\n"
             "  - {at: 1ms, post: inc, to: relay}\n"
             "  - {at: 1ms, post: inc, to: relay}\n"
             "invariants: {check: [counter-at-most], every: end}\n",
             ECHO_NODES);
    scenario *s = load_text("over-end", yaml);
    sc_result r = run(s, 1);
    assert_int_equal(r.status, SC_FAIL);
    assert_string_equal(r.signature, "invariant counter-at-most");
    assert_int_equal(r.fail_step, r.steps); /* found at the end, not when it broke */
    kr__sc_result_free(&r);
    kr__sc_free(s);
}

/* ---- workload counts the shrinker may lower ------------------------------------- */

static int64_t count_seen;

static kr_process *count_reader_new(const char *id, const kr_sc_args *a)
{
    if (kr_sc_count(a, "n", 2, 1000, 7, &count_seen) != 0)
        return NULL;
    kr_process *p = calloc(1, sizeof *p);
    if (p)
        kr_process_init(p, id, NULL);
    return p;
}

static int64_t count_at(const char *n, int percent)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "nodes:\n"
             "  - name: a\n"
             "    processes:\n"
             "      - {id: r, type: count-reader%s%s%s}\n",
             n ? ", args: {n: " : "", n ? n : "", n ? "}" : "");
    scenario *s = load_text("count", yaml);
    sc_options o = {.seed = 1, .workload_percent = percent};
    sc_result r;
    count_seen = -1;
    assert_int_equal(kr__sc_run(s, &o, &r), 0);
    kr__sc_result_free(&r);
    kr__sc_free(s);
    return count_seen;
}

static void workload_counts_scale_with_the_share(void **state)
{
    (void)state;
    int rc = kr_actor_register("count-reader", count_reader_new, "reads n with kr_sc_count");
    assert_true(rc == 0 || rc == KR_EEXIST);
    assert_int_equal(count_at("100", 0), 100); /* every normal run: as written */
    assert_int_equal(count_at("100", 100), 100);
    assert_int_equal(count_at("100", 50), 50);
    assert_int_equal(count_at("999", 33), 329);
    assert_int_equal(count_at("100", 1), 2); /* never below min */
    assert_int_equal(count_at(NULL, 50), 3); /* the default scales too */
    assert_int_equal(count_at("100", 0), 100); /* the share does not leak into the next run */
}

static void registry_refuses_bad_names_and_duplicates(void **state)
{
    (void)state;
    assert_int_equal(kr_actor_register("echo", no_make, NULL), KR_EEXIST);
    assert_int_equal(kr_actor_register("bad name", no_make, NULL), KR_EINVAL);
    assert_int_equal(kr_actor_register("", no_make, NULL), KR_EINVAL);
    assert_int_equal(kr_actor_register("ok-type", NULL, NULL), KR_EINVAL);
    assert_int_equal(kr_invariant_register("test-always", always, "x"), 0);
    assert_int_equal(kr_invariant_register("test-always", always, "x"), KR_EEXIST);
    assert_int_equal(kr_action_register("echo", "reset", NULL), KR_EINVAL);
    assert_int_equal(kr_action_register("counter", "reset", no_action), KR_EEXIST);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    kr__sc_registry_print(out);
    fclose(out);
    assert_non_null(strstr(buf, "requester"));
    assert_non_null(strstr(buf, "test-always"));
    free(buf);
}

/* An actor type that reads one argument of every kind. */
typedef struct arg_seen {
    int64_t n;
    kr_duration d;
    const char *text, *item;
    bool flag;
    kr_pid peer, listed;
    size_t list_len;
    int rc[8];
} arg_seen;
static arg_seen seen;

static kr_process *reader_make(const char *id, const kr_sc_args *a)
{
    memset(&seen, 0, sizeof seen);
    seen.rc[0] = kr_sc_int(a, "n", 0, 100, 7, &seen.n);
    seen.rc[1] = kr_sc_duration(a, "d", KR_MSEC(1), &seen.d);
    seen.rc[2] = kr_sc_string(a, "text", "default", &seen.text);
    seen.rc[3] = kr_sc_bool(a, "flag", false, &seen.flag);
    seen.rc[4] = kr_sc_pid(a, "peer", &seen.peer);
    seen.list_len = kr_sc_list_len(a, "peers");
    seen.rc[5] = seen.list_len ? kr_sc_list_pid(a, "peers", 0, &seen.listed) : 0;
    seen.rc[6] = seen.list_len > 1 ? kr_sc_list_string(a, "peers", 1, &seen.item) : 0;
    kr_process *p = calloc(1, sizeof *p);
    kr_process_init(p, id, NULL);
    return p;
}

static void typed_arguments(void **state)
{
    (void)state;
    assert_int_equal(kr_actor_register("arg-reader", reader_make, "reads its args"), 0);
    scenario *s = load_text("args",
                            "nodes:\n"
                            "  - name: a\n"
                            "    processes:\n"
                            "      - {id: e, type: echo}\n"
                            "      - id: r\n"
                            "        type: arg-reader\n"
                            "        args: {n: 0x2a, d: 250ms, text: hi, flag: true,\n"
                            "               peer: e@a, peers: [e, e@a]}\n");
    sc_result r = run(s, 1);
    assert_int_equal(r.status, SC_PASS);
    for (int i = 0; i < 7; i++)
        assert_int_equal(seen.rc[i], 0);
    assert_int_equal(seen.n, 42);
    assert_true(seen.d == KR_MSEC(250));
    assert_string_equal(seen.text, "hi");
    assert_true(seen.flag);
    assert_string_equal(seen.peer.id, "e");
    assert_int_equal(seen.list_len, 2);
    assert_string_equal(seen.listed.id, "e");
    assert_string_equal(seen.item, "e@a");
    kr__sc_result_free(&r);
    kr__sc_free(s);

    /* Defaults when absent. */
    s = load_text("defaults", "nodes:\n  - name: a\n    processes:\n      - {id: r, type: arg-reader}\n");
    r = run(s, 1);
    assert_int_equal(r.status, SC_PASS);
    assert_int_equal(seen.n, 7);
    assert_true(seen.d == KR_MSEC(1));
    assert_string_equal(seen.text, "default");
    assert_false(seen.flag);
    assert_true(kr_pid_is_none(seen.peer));
    assert_int_equal(seen.list_len, 0);
    kr__sc_result_free(&r);
    kr__sc_free(s);

    /* Each wrong kind is an error at its position (the first one wins). */
    const char *bad[][2] = {
        {"{n: 101}", "out of range"},          {"{n: [1]}", "single value"},
        {"{d: soon}", "duration"},             {"{flag: maybe}", "true or false"},
        {"{peer: ghost}", "no process"},       {"{peers: e}", "must be a list"},
        {"{peers: [[e]]}", "single values"},   {"{text: {a: b}}", "mapping"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "nodes:\n  - name: a\n    processes:\n      - {id: e, type: echo}\n"
                 "      - {id: r, type: arg-reader, args: %s}\n", bad[i][0]);
        s = load_text("bad", yaml);
        r = run(s, 1);
        if (r.status != SC_ERROR || !strstr(r.failure, bad[i][1]))
            fprintf(stderr, "%s: %s\n", bad[i][0], r.failure);
        assert_int_equal(r.status, SC_ERROR);
        assert_non_null(strstr(r.failure, bad[i][1]));
        assert_non_null(strstr(r.failure, "bad.yaml:5:"));
        kr__sc_result_free(&r);
        kr__sc_free(s);
    }
}

/* Issue 9, defect 10: scripted actions at the same virtual time run in file
 * order (scenarios/FORMAT.md), whatever the seed: here a partition, then a
 * crash, both at 250ms, and a post at the same time after them. */
static void same_time_actions_run_in_file_order(void **state)
{
    (void)state;
    scenario *s = load_text("same-time",
                            "nodes:\n"
                            "  - name: a\n"
                            "    processes:\n"
                            "      - {id: echo, type: echo}\n"
                            "  - name: b\n"
                            "    processes:\n"
                            "      - {id: relay, type: forwarder, args: {name: inc, to: echo}}\n"
                            "script:\n"
                            "  - {at: 250ms, partition: [a]}\n"
                            "  - {at: 250ms, crash: b}\n"
                            "  - {at: 250ms, post: inc, to: echo}\n"
                            "  - {at: 300ms, heal: true}\n");
    for (uint64_t seed = 1; seed <= 40; seed++) {
        char *log = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&log, &len);
        assert_non_null(out);
        sc_options o = {.seed = seed, .log = out};
        sc_result r;
        assert_int_equal(kr__sc_run(s, &o, &r), 0);
        fclose(out);
        const char *partition = strstr(log, " partition "), *crash = strstr(log, " crash ");
        const char *post = strstr(log, " stimulus ");
        assert_non_null(partition);
        assert_non_null(crash);
        assert_non_null(post);
        if (!(partition < crash && crash < post))
            fprintf(stderr, "seed %llu ran them out of file order:\n%s", (unsigned long long)seed,
                    log);
        assert_true(partition < crash);
        assert_true(crash < post);
        free(log);
        kr__sc_result_free(&r);
    }
    kr__sc_free(s);
}

/* Issue 9, defect 7: a probe event names the node of the process that
 * probed (the report draws it in that process' lane). */
static void probe_on_init(kr_process *self)
{
    (void)self;
    kr_probe("prober-started");
}

static kr_process *prober_make(const char *id, const kr_sc_args *a)
{
    (void)a;
    static const kr_process_ops ops = {.initialize = probe_on_init};
    kr_process *p = calloc(1, sizeof *p);
    kr_process_init(p, id, &ops);
    return p;
}

static void probe_events_carry_the_node(void **state)
{
    (void)state;
    assert_int_equal(kr_actor_register("test-prober", prober_make, "probes at start"), 0);
    scenario *s = load_text("probe-node",
                            "nodes:\n"
                            "  - name: a\n"
                            "    processes:\n"
                            "      - {id: echo, type: echo}\n"
                            "  - name: b\n"
                            "    address: 10.0.0.9:6060\n"
                            "    processes:\n"
                            "      - {id: prober, type: test-prober}\n");
    char trace[256];
    snprintf(trace, sizeof trace, "%s/probe.jsonl", dir);
    sc_options o = {.seed = 1, .trace_path = trace};
    sc_result r;
    assert_int_equal(kr__sc_run(s, &o, &r), 0);
    assert_int_equal(r.status, SC_PASS);
    FILE *f = fopen(trace, "r");
    assert_non_null(f);
    char line[4096];
    int probes = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, "\"kind\":\"probe\""))
            continue;
        probes++;
        if (!strstr(line, "\"node\":\"10.0.0.9:6060\""))
            fprintf(stderr, "probe event without its node: %s", line);
        assert_non_null(strstr(line, "\"node\":\"10.0.0.9:6060\""));
        assert_non_null(strstr(line, "\"process\":\"prober\""));
    }
    fclose(f);
    assert_int_equal(probes, 1);
    kr__sc_result_free(&r);
    kr__sc_free(s);
}

int main(void)
{
    assert_non_null(mkdtemp(dir));
    kr__sc_builtins_register();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtins_and_expectations_pass),
        cmocka_unit_test(failing_expectations_have_signatures),
        cmocka_unit_test(faults_and_liveness),
        cmocka_unit_test(step_limit_reports_runaway),
        cmocka_unit_test(bad_arguments_are_reported_at_their_place),
        cmocka_unit_test(traces_read_back),
        cmocka_unit_test(registry_refuses_bad_names_and_duplicates),
        cmocka_unit_test(typed_arguments),
        cmocka_unit_test(arguments_use_the_one_grammar), /* after: registers arg-reader */
        cmocka_unit_test(same_time_actions_run_in_file_order),
        cmocka_unit_test(probe_events_carry_the_node),
        cmocka_unit_test(invariants_run_as_often_as_asked),
        cmocka_unit_test(end_only_invariants_still_catch_what_persists),
        cmocka_unit_test(workload_counts_scale_with_the_share),
    };
    int rc = KT_RUN(tests);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return rc;
}
