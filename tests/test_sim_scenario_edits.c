/* Sim only: the workload edits kairos shrink makes (sc_options) as the
 * runner applies them and the trace records them: scripted actions moved
 * in virtual time, the seed's planned random faults left out or moved,
 * network rates scaled, loose schedule decisions ({0, c}: that choice among
 * whatever the run offers); and a trace with every edit replays to the same
 * hash from its header alone. */
#include "harness.h"

#include "scenario_internal.h"

#include <unistd.h>

static char dir[] = "/tmp/kairos-edits-test.XXXXXX";

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

/* A counter that must never count: the post to it fails the run when it
 * is delivered. */
static const char POSTED[] = "nodes:\n"
                             "  - name: a\n"
                             "    processes:\n"
                             "      - {id: tally, type: counter, args: {limit: 0}}\n"
                             "script:\n"
                             "  - {at: 100ms, post: inc, to: tally}\n"
                             "  - {at: 500ms, post: inc, to: tally}\n"
                             "invariants: [counter-at-most]\n"
                             "limits: {time: 1s}\n";

static void moved_actions_run_at_their_new_time(void **state)
{
    (void)state;
    scenario *s = load_text("posted", POSTED);
    sc_options o = {.seed = 1};
    sc_result r;
    assert_int_equal(kr__sc_run(s, &o, &r), 0);
    assert_int_equal(r.status, SC_FAIL);
    assert_true(r.fail_time == KR_MSEC(100));
    kr__sc_result_free(&r);

    /* The first post left out, the second moved before where the first was. */
    bool skip[2] = {true, false};
    kr_duration at[2] = {KR_MSEC(100), KR_MSEC(30)};
    o.skip_actions = skip;
    o.action_at = at;
    assert_int_equal(kr__sc_run(s, &o, &r), 0);
    assert_int_equal(r.status, SC_FAIL);
    assert_true(r.fail_time == KR_MSEC(30));
    kr__sc_result_free(&r);

    /* Moved past the other: time order, not file order, decides. */
    skip[0] = false;
    at[0] = KR_MSEC(900);
    at[1] = KR_MSEC(700);
    assert_int_equal(kr__sc_run(s, &o, &r), 0);
    assert_true(r.fail_time == KR_MSEC(700));
    kr__sc_result_free(&r);
    kr__sc_free(s);
}

static const char CRASHY[] = "nodes:\n"
                             "  - name: a\n"
                             "    processes:\n"
                             "      - {id: e, type: echo}\n"
                             "  - name: b\n"
                             "    processes:\n"
                             "      - {id: r, type: requester, args: {to: \"e@a\", count: 50, interval: 10ms}}\n"
                             "faults:\n"
                             "  random: {every: [50ms, 100ms], until: 400ms, heal_after: [10ms, 20ms], kinds: [crash]}\n"
                             "limits: {time: 1s}\n";

static void planned_random_faults_are_left_out_or_moved(void **state)
{
    (void)state;
    scenario *s = load_text("crashy", CRASHY);
    sc_options o = {.seed = 3};
    size_t n = kr__sc_random_plan(s, &o, NULL, 0);
    assert_true(n >= 4 && n % 2 == 0); /* crash, restart, crash, restart, ... */
    sc_planned plan[64];
    assert_int_equal(kr__sc_random_plan(s, &o, plan, 64), n);
    assert_int_equal(plan[0].kind, SC_CRASH);
    assert_int_equal(plan[1].kind, SC_RESTART);
    assert_true(plan[0].at >= KR_MSEC(50) && plan[1].at > plan[0].at);
    sc_result r;
    assert_int_equal(kr__sc_run(s, &o, &r), 0);
    assert_int_equal(r.faults[0], n / 2); /* "crash" */
    kr__sc_result_free(&r);

    /* Every crash but the last left out (its restart kept), and it moved. */
    bool skip[64] = {false};
    kr_duration at[64];
    for (size_t i = 0; i < n; i++) {
        skip[i] = i + 2 < n && i % 2 == 0;
        at[i] = plan[i].at;
    }
    at[n - 2] = KR_MSEC(5);
    at[n - 1] = KR_MSEC(15);
    o.skip_random = skip;
    o.random_at = at;
    o.n_random = n;
    char trace[256];
    snprintf(trace, sizeof trace, "%s/crashy.jsonl", dir);
    o.trace_path = trace;
    assert_int_equal(kr__sc_run(s, &o, &r), 0);
    assert_int_equal(r.faults[0], 1);
    kr__sc_result_free(&r);
    FILE *f = fopen(trace, "r");
    assert_non_null(f);
    char line[8192];
    kr_duration crashed = -1;
    while (fgets(line, sizeof line, f) && crashed < 0)
        if (strstr(line, "\"kind\":\"crash\""))
            crashed = strtoll(strstr(line, "\"time\":") + 7, NULL, 10);
    fclose(f);
    assert_true(crashed == KR_MSEC(5));
    kr__sc_free(s);
}

static void network_rates_scale(void **state)
{
    (void)state;
    scenario *s = load_text("lossy", "nodes:\n"
                                     "  - name: a\n"
                                     "    processes:\n"
                                     "      - {id: e, type: echo}\n"
                                     "  - name: b\n"
                                     "    processes:\n"
                                     "      - {id: r, type: requester, args: {to: \"e@a\", count: 200, interval: 1ms}}\n"
                                     "network: {drop: 0.5, duplicate: 0.5}\n"
                                     "limits: {time: 2s}\n");
    uint64_t events[3];
    int percents[3] = {100, 40, 0};
    for (int i = 0; i < 3; i++) {
        sc_options o = {.seed = 5, .rates_scaled = true, .drop_percent = percents[i],
                        .duplicate_percent = percents[i]};
        sc_result r;
        assert_int_equal(kr__sc_run(s, &o, &r), 0);
        events[i] = r.events;
        kr__sc_result_free(&r);
    }
    sc_options plain = {.seed = 5};
    sc_result r;
    assert_int_equal(kr__sc_run(s, &plain, &r), 0);
    assert_true(r.events == events[0]); /* 100%: as written */
    kr__sc_result_free(&r);
    kr__sc_free(s);
    /* 0%: as a network without losses or copies. */
    s = load_text("lossless", "nodes:\n"
                              "  - name: a\n"
                              "    processes:\n"
                              "      - {id: e, type: echo}\n"
                              "  - name: b\n"
                              "    processes:\n"
                              "      - {id: r, type: requester, args: {to: \"e@a\", count: 200, interval: 1ms}}\n"
                              "limits: {time: 2s}\n");
    assert_int_equal(kr__sc_run(s, &plain, &r), 0);
    assert_true(r.events == events[2]);
    assert_true(events[1] != events[0] && events[1] != events[2]);
    kr__sc_result_free(&r);
    kr__sc_free(s);
}

/* One ping, one pong; a network fault placed on either. */
static sc_result one_ping(const scenario *s, const sc_message_fault *faults, size_t n)
{
    sc_options o = {.seed = 4, .message_faults = faults, .n_message_faults = n};
    sc_result r;
    assert_int_equal(kr__sc_run(s, &o, &r), 0);
    return r;
}

static void placed_message_faults(void **state)
{
    (void)state;
    scenario *s = load_text("one-ping", "nodes:\n"
                                        "  - name: a\n"
                                        "    processes:\n"
                                        "      - {id: e, type: echo}\n"
                                        "  - name: b\n"
                                        "    processes:\n"
                                        "      - {id: r, type: requester, args: {to: \"e@a\", count: 1}}\n"
                                        "network: {latency: [1ms, 9ms]}\n"
                                        "expect:\n"
                                        "  - invariant: requests-answered\n"
                                        "limits: {time: 1s}\n");
    sc_result plain = one_ping(s, NULL, 0);
    assert_int_equal(plain.status, SC_PASS);
    assert_true(plain.time < KR_MSEC(18));

    sc_message_fault lost = {1, KR_SIM_MESSAGE_LOST}; /* the pong */
    sc_result r = one_ping(s, &lost, 1);
    assert_int_equal(r.status, SC_FAIL);
    assert_string_equal(r.signature, "invariant requests-answered");
    kr__sc_result_free(&r);

    sc_message_fault copied = {0, KR_SIM_MESSAGE_DUPLICATED}; /* the ping: two pongs */
    r = one_ping(s, &copied, 1);
    assert_int_equal(r.status, SC_PASS);
    assert_true(r.events == plain.events + 2);
    kr__sc_result_free(&r);

    sc_message_fault slow[2] = {{0, KR_SIM_MESSAGE_SLOW}, {1, KR_SIM_MESSAGE_SLOW}};
    r = one_ping(s, slow, 2);
    assert_int_equal(r.status, SC_PASS);
    assert_true(r.time == KR_MSEC(18)); /* both at the largest latency */
    kr__sc_result_free(&r);

    sc_message_fault later = {7, KR_SIM_MESSAGE_LOST}; /* no such send: nothing happens */
    r = one_ping(s, &later, 1);
    assert_true(r.hash == plain.hash);
    kr__sc_result_free(&r);
    kr__sc_result_free(&plain);
    kr__sc_free(s);
    assert_int_equal(kr_sim_message_fault(0, KR_SIM_MESSAGE_LOST), KR_ESTATE); /* no run */
}

/* PCT delays d-1 messages to their link's largest latency; POS draws the
 * network from its own stream: neither samples the same network timings as
 * random on the same seed. */
static void strategies_vary_the_network(void **state)
{
    (void)state;
    scenario *s = load_text("one-ping-2", "nodes:\n"
                                          "  - name: a\n"
                                          "    processes:\n"
                                          "      - {id: e, type: echo}\n"
                                          "  - name: b\n"
                                          "    processes:\n"
                                          "      - {id: r, type: requester, args: {to: \"e@a\", count: 1}}\n"
                                          "network: {latency: [1ms, 9ms]}\n"
                                          "limits: {time: 1s}\n");
    int both_slow_pct = 0, both_slow_random = 0, pos_differs = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        /* k = 2: the slow sends are drawn from sends 0..1, ping and pong. */
        sc_options pct = {.seed = seed, .strategy = "pct", .pct_depth = 3, .pct_steps = 2};
        sc_options random = {.seed = seed, .strategy = "random"};
        sc_options pos = {.seed = seed, .strategy = "pos"};
        sc_result a, b, c;
        assert_int_equal(kr__sc_run(s, &pct, &a), 0);
        assert_int_equal(kr__sc_run(s, &random, &b), 0);
        assert_int_equal(kr__sc_run(s, &pos, &c), 0);
        both_slow_pct += a.time == KR_MSEC(18);
        both_slow_random += b.time == KR_MSEC(18);
        pos_differs += c.time != b.time;
        kr__sc_result_free(&a);
        kr__sc_result_free(&b);
        kr__sc_result_free(&c);
    }
    assert_true(both_slow_pct >= 3); /* two distinct draws of 0..1: about half */
    assert_int_equal(both_slow_random, 0);
    assert_true(pos_differs >= 15);
    kr__sc_free(s);
}

static void loose_decisions_never_misfit(void **state)
{
    (void)state;
    scenario *s = load_text("crashy2", CRASHY);
    sc_options o = {.seed = 8, .record_ids = true};
    sc_result r;
    assert_int_equal(kr__sc_run(s, &o, &r), 0);
    assert_true(r.n_decisions > 20);
    /* Strict: a wrong option count is a misfit. */
    sc_decision wrong[1] = {{r.decisions[0].options + 7, 0}};
    sc_options strict = {.seed = 8, .schedule = wrong, .schedule_len = 1};
    sc_result bad;
    assert_int_equal(kr__sc_run(s, &strict, &bad), 0);
    assert_string_equal(bad.signature, "replay misfit");
    kr__sc_result_free(&bad);
    /* Loose: choice 99 modulo whatever each step offers. */
    sc_decision loose[20];
    for (size_t i = 0; i < 20; i++)
        loose[i] = (sc_decision){0, 99};
    sc_options follow = {.seed = 8, .schedule = loose, .schedule_len = 20, .strategy = "fifo"};
    sc_result a, b;
    assert_int_equal(kr__sc_run(s, &follow, &a), 0);
    assert_int_not_equal(a.status, SC_FAIL);
    for (size_t i = 0; i < 20; i++) {
        assert_int_not_equal(a.decisions[i].options, 0); /* recorded as taken */
        assert_int_equal(a.decisions[i].chosen, 99 % a.decisions[i].options);
    }
    /* Entities are recorded only when asked (they cost ~5% per step). */
    sc_options plain = {.seed = 8};
    sc_result p;
    assert_int_equal(kr__sc_run(s, &plain, &p), 0);
    assert_true(p.hash == r.hash);
    size_t named_ids = 0;
    for (size_t i = 0; i < p.n_decisions; i++) {
        assert_true(p.decision_ids[i] == 0);
        named_ids += r.decision_ids[i] != 0;
    }
    assert_true(named_ids > p.n_decisions / 2);
    kr__sc_result_free(&p);
    /* Loose decisions that name their entity follow it: the recorded run's
     * entities with every choice index wrong still give the same run. */
    size_t n = r.n_decisions;
    sc_decision *wrong_all = malloc(n * sizeof *wrong_all);
    assert_non_null(wrong_all);
    for (size_t i = 0; i < n; i++) /* (ties among due timers are unnamed: kept) */
        wrong_all[i] = (sc_decision){0, r.decisions[i].chosen + (r.decision_ids[i] != 0)};
    sc_options named = {.seed = 8, .schedule = wrong_all, .schedule_ids = r.decision_ids,
                        .schedule_len = n};
    sc_result c;
    assert_int_equal(kr__sc_run(s, &named, &c), 0);
    assert_true(c.hash == r.hash);
    kr__sc_result_free(&c);
    named.schedule_ids = NULL; /* by index alone: another run */
    assert_int_equal(kr__sc_run(s, &named, &c), 0);
    assert_true(c.hash != r.hash);
    kr__sc_result_free(&c);
    free(wrong_all);
    assert_int_equal(kr_sim_schedule_ids(r.decision_ids, 1), KR_ESTATE); /* no run */

    /* The recorded (strict) decisions replay it exactly. */
    sc_options again = {.seed = 8, .schedule = a.decisions, .schedule_len = a.n_decisions,
                        .strategy = "fifo"};
    assert_int_equal(kr__sc_run(s, &again, &b), 0);
    assert_true(a.hash == b.hash);
    kr__sc_result_free(&a);
    kr__sc_result_free(&b);
    kr__sc_result_free(&r);
    kr__sc_free(s);
}

/* Every edit recorded in the header reads back as written. */
static void traces_record_every_edit(void **state)
{
    (void)state;
    scenario *s = load_text("both", "nodes:\n"
                                    "  - name: a\n"
                                    "    processes:\n"
                                    "      - {id: e, type: echo}\n"
                                    "  - name: b\n"
                                    "    processes:\n"
                                    "      - {id: r, type: requester, args: {to: \"e@a\", count: 20, interval: 10ms}}\n"
                                    "script:\n"
                                    "  - {at: 40ms, clog: a, to: b, for: 5ms}\n"
                                    "  - {at: 60ms, crash: a}\n"
                                    "  - {at: 70ms, restart: a}\n"
                                    "network: {drop: 0.2}\n"
                                    "faults:\n"
                                    "  random: {every: [30ms, 60ms], until: 200ms, heal_after: [5ms, 9ms], kinds: [partition]}\n"
                                    "limits: {time: 1s}\n");
    sc_options o = {.seed = 2};
    size_t n = kr__sc_random_plan(s, &o, NULL, 0);
    assert_true(n >= 2 && n <= 64);
    sc_planned plan[64];
    kr__sc_random_plan(s, &o, plan, 64);
    bool skip[3] = {true, false, false}, skip_random[64] = {false};
    kr_duration at[3] = {KR_MSEC(40), KR_MSEC(20), KR_MSEC(70)}, random_at[64];
    for (size_t i = 0; i < n; i++)
        random_at[i] = plan[i].at;
    skip_random[n - 1] = true;
    random_at[0] = KR_MSEC(1);
    char trace[256];
    snprintf(trace, sizeof trace, "%s/both.jsonl", dir);
    sc_message_fault placed[3] = {
        {3, KR_SIM_MESSAGE_LOST}, {0, KR_SIM_MESSAGE_SLOW}, {9, KR_SIM_MESSAGE_DUPLICATED}};
    o = (sc_options){.seed = 2, .skip_actions = skip, .action_at = at, .skip_random = skip_random,
                     .random_at = random_at, .n_random = n, .rates_scaled = true,
                     .drop_percent = 30, .duplicate_percent = 100, .workload_percent = 50,
                     .message_faults = placed, .n_message_faults = 3, .trace_path = trace};
    sc_result r;
    assert_int_equal(kr__sc_run(s, &o, &r), 0);
    sc_trace_info info;
    char err[256];
    assert_int_equal(kr__sc_trace_read(trace, &info, err, sizeof err), 0);
    assert_true(info.hash == r.hash);
    assert_int_equal(info.n_skip, 1);
    assert_true(info.skip_actions[0]);
    assert_int_equal(info.n_action_at, 1); /* only what moved */
    assert_int_equal(info.action_at[0].index, 1);
    assert_true(info.action_at[0].at == KR_MSEC(20));
    assert_int_equal(info.n_skip_random, 1);
    assert_int_equal(info.skip_random[0], n - 1);
    assert_int_equal(info.n_random_at, 1);
    assert_int_equal(info.random_at[0].index, 0);
    assert_true(info.random_at[0].at == KR_MSEC(1));
    assert_true(info.rates_scaled);
    assert_int_equal(info.drop_percent, 30);
    assert_int_equal(info.duplicate_percent, 100);
    assert_int_equal(info.workload_percent, 50);
    assert_int_equal(info.n_message_faults, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(info.message_faults[i].send, placed[i].send);
        assert_int_equal(info.message_faults[i].kind, placed[i].kind);
    }
    kr__sc_trace_info_free(&info);
    kr__sc_result_free(&r);

    /* A damaged edit is a clear error, not a crash. */
    FILE *f = fopen(trace, "w");
    fputs("{\"type\":\"header\",\"format\":\"kairos-trace\",\"version\":1,\"scenario\":\"x\","
          "\"seed\":1,\"strategy\":\"random\",\"action_at\":[[1]]}\n",
          f);
    fclose(f);
    assert_int_equal(kr__sc_trace_read(trace, &info, err, sizeof err), KR_EFORMAT);
    assert_non_null(strstr(err, "action_at"));
    f = fopen(trace, "w");
    fputs("{\"type\":\"header\",\"format\":\"kairos-trace\",\"version\":1,\"scenario\":\"x\","
          "\"seed\":1,\"strategy\":\"random\",\"drop_percent\":101,\"duplicate_percent\":1}\n",
          f);
    fclose(f);
    assert_int_equal(kr__sc_trace_read(trace, &info, err, sizeof err), KR_EFORMAT);
    assert_non_null(strstr(err, "drop_percent"));
    f = fopen(trace, "w");
    fputs("{\"type\":\"header\",\"format\":\"kairos-trace\",\"version\":1,\"scenario\":\"x\","
          "\"seed\":1,\"strategy\":\"random\",\"message_faults\":[[2,\"late\"]]}\n",
          f);
    fclose(f);
    assert_int_equal(kr__sc_trace_read(trace, &info, err, sizeof err), KR_EFORMAT);
    assert_non_null(strstr(err, "message_faults"));
    kr__sc_free(s);
}

int main(void)
{
    assert_non_null(mkdtemp(dir));
    kr__sc_builtins_register();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(moved_actions_run_at_their_new_time),
        cmocka_unit_test(planned_random_faults_are_left_out_or_moved),
        cmocka_unit_test(network_rates_scale),
        cmocka_unit_test(placed_message_faults),
        cmocka_unit_test(strategies_vary_the_network),
        cmocka_unit_test(loose_decisions_never_misfit),
        cmocka_unit_test(traces_record_every_edit),
    };
    int rc = KT_RUN(tests);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return rc;
}
