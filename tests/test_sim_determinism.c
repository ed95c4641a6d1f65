/* Sim backend only: a run is a function of its seed (or of a recorded
 * schedule), virtual time costs no wall time, and a failed kr_check stops
 * the run with a useful message. */
#include "harness.h"

#include <time.h>
#include <unistd.h>

/* --- a small scenario: 4 producers interleave 5 messages each ------------ */

#define PRODUCERS 4
#define PER_PRODUCER 5
#define TOTAL (PRODUCERS * PER_PRODUCER)

typedef struct recorder {
    kr_process base;
    int n;
    int order[TOTAL];
} recorder;

typedef struct producer {
    kr_process base;
    kr_pid to;
    int index, sent;
} producer;

static void on_item(kr_process *self, const kr_message *m)
{
    recorder *r = (recorder *)self;
    int code;
    memcpy(&code, m->body, sizeof code);
    if (r->n < TOTAL)
        r->order[r->n] = code;
    r->n++;
}

static void produce(kr_process *self, const void *arg)
{
    (void)arg;
    producer *p = (producer *)self;
    int code = p->index * 100 + p->sent;
    kr_send(self, p->to, "item", &code, sizeof code);
    if (++p->sent < PER_PRODUCER)
        kr_dispatch(kr_self(self), produce, NULL, 0);
}

static void on_go(kr_process *self, const kr_message *m)
{
    (void)m;
    produce(self, NULL);
}

typedef struct outcome {
    int order[TOTAL];
    int n;
    uint64_t hash;
} outcome;

/* Runs the scenario in a fresh runtime. replay/record: schedule files or
 * NULL. */
static void run_scenario(uint64_t seed, const char *strategy, const char *replay,
                         const char *record, outcome *out)
{
    static recorder rec;
    static producer prod[PRODUCERS];
    kr_config c = kt_config();
    c.seed = seed;
    c.strategy = strategy;
    assert_int_equal(kr_init(&c), 0);
    if (replay)
        assert_int_equal(kr_sim_trace_replay(replay), 0);

    memset(&rec, 0, sizeof rec);
    kr_process_init(&rec.base, "recorder", NULL);
    assert_int_equal(kr_install(&rec.base, "item", on_item), 0);
    kr_pid rpid = kr_spawn(&rec.base, false);
    kr_pid ppid[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        char id[16];
        snprintf(id, sizeof id, "producer%d", i);
        memset(&prod[i], 0, sizeof prod[i]);
        kr_process_init(&prod[i].base, id, NULL);
        prod[i].to = rpid;
        prod[i].index = i;
        assert_int_equal(kr_install(&prod[i].base, "go", on_go), 0);
        ppid[i] = kr_spawn(&prod[i].base, false);
    }
    for (int i = 0; i < PRODUCERS; i++)
        kr_post(ppid[i], "go", NULL, 0);
    kr_sim_run(0);

    assert_null(kr_sim_failure());
    memset(out, 0, sizeof *out);
    out->n = rec.n;
    memcpy(out->order, rec.order, sizeof out->order);
    out->hash = kr_sim_trace_hash();
    if (record)
        assert_int_equal(kr_sim_trace_write(record), 0);
    kr_finalize();
    assert_int_equal(out->n, TOTAL);
}

static void same_seed_same_order_and_trace_hash(void **state)
{
    (void)state;
    outcome a, b;
    run_scenario(42, "random", NULL, NULL, &a);
    run_scenario(42, "random", NULL, NULL, &b);
    assert_memory_equal(a.order, b.order, sizeof a.order);
    assert_true(a.hash == b.hash);
}

static void different_seeds_give_different_orders(void **state)
{
    (void)state;
    outcome first, other;
    int differing_orders = 0, differing_hashes = 0;
    run_scenario(1, "random", NULL, NULL, &first);
    for (uint64_t seed = 2; seed <= 20; seed++) {
        run_scenario(seed, "random", NULL, NULL, &other);
        differing_orders += memcmp(first.order, other.order, sizeof first.order) != 0;
        differing_hashes += first.hash != other.hash;
    }
    assert_true(differing_orders >= 1);
    assert_true(differing_hashes >= 1);
}

static void per_producer_order_holds_under_every_seed(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        outcome o;
        run_scenario(seed, "random", NULL, NULL, &o);
        int next[PRODUCERS] = {0};
        for (int i = 0; i < TOTAL; i++) {
            int p = o.order[i] / 100, s = o.order[i] % 100;
            assert_in_range(p, 0, PRODUCERS - 1);
            assert_int_equal(s, next[p]);
            next[p]++;
        }
    }
}

static void fifo_and_pct_strategies_run(void **state)
{
    (void)state;
    outcome a, b;
    run_scenario(1, "fifo", NULL, NULL, &a);
    for (uint64_t seed = 2; seed <= 5; seed++) {
        run_scenario(seed, "fifo", NULL, NULL, &b);
        assert_memory_equal(a.order, b.order, sizeof a.order); /* no random choice */
    }
    run_scenario(3, "pct", NULL, NULL, &b);
    run_scenario(3, "pct", NULL, NULL, &a);
    assert_memory_equal(a.order, b.order, sizeof a.order);
}

static void unknown_strategy_is_EINVAL(void **state)
{
    (void)state;
    kr_config c = kt_config();
    c.strategy = "bogus";
    assert_int_equal(kr_init(&c), KR_EINVAL);
    assert_false(kr_running());

    c.strategy = NULL;
    setenv("KAIROS_STRATEGY", "bogus", 1);
    int rc = kr_init(&c);
    unsetenv("KAIROS_STRATEGY");
    assert_int_equal(rc, KR_EINVAL);
    assert_false(kr_running());

    setenv("KAIROS_STRATEGY", "fifo", 1);
    rc = kr_init(&c);
    unsetenv("KAIROS_STRATEGY");
    assert_int_equal(rc, 0);
    kr_finalize();
}

static void seed_comes_from_the_config_or_KAIROS_SEED(void **state)
{
    (void)state;
    char *saved = getenv("KAIROS_SEED") ? strdup(getenv("KAIROS_SEED")) : NULL;
    kr_config c;
    memset(&c, 0, sizeof c);

    setenv("KAIROS_SEED", "4242", 1);
    assert_int_equal(kr_init(&c), 0);
    uint64_t from_env = kr_sim_seed();
    kr_finalize();

    c.seed = 7; /* the caller wins */
    assert_int_equal(kr_init(&c), 0);
    uint64_t from_cfg = kr_sim_seed();
    kr_finalize();

    if (saved)
        setenv("KAIROS_SEED", saved, 1);
    else
        unsetenv("KAIROS_SEED");
    free(saved);
    assert_true(from_env == 4242);
    assert_true(from_cfg == 7);
}

/* --- schedule files ------------------------------------------------------ */

static void temp_path(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/kairos-trace-XXXXXX");
    int fd = mkstemp(buf);
    assert_true(fd >= 0);
    close(fd);
}

static void a_written_trace_replays_under_another_seed(void **state)
{
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    outcome recorded, replayed, plain;
    run_scenario(5, "random", NULL, path, &recorded);
    run_scenario(999, "random", path, NULL, &replayed);
    assert_memory_equal(recorded.order, replayed.order, sizeof recorded.order);
    assert_true(recorded.hash == replayed.hash);

    /* The replay really followed the file: find a seed that differs on its
     * own (there is one among a few, see different_seeds_give_...). */
    bool some_seed_differs = false;
    for (uint64_t seed = 999; seed < 1019 && !some_seed_differs; seed++) {
        run_scenario(seed, "random", NULL, NULL, &plain);
        some_seed_differs = memcmp(plain.order, recorded.order, sizeof plain.order) != 0;
        if (some_seed_differs) {
            run_scenario(seed, "random", path, NULL, &replayed);
            assert_memory_equal(recorded.order, replayed.order, sizeof recorded.order);
        }
    }
    assert_true(some_seed_differs);
    unlink(path);
}

static void malformed_or_missing_trace_files_are_errors(void **state)
{
    (void)state;
    char path[64];
    temp_path(path, sizeof path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("this is not a schedule\n\x01\x02\x03", f);
    fclose(f);

    kr_config c = kt_config();
    assert_int_equal(kr_init(&c), 0);
    assert_int_equal(kr_sim_trace_replay(path), KR_EFORMAT);
    assert_true(kr_sim_trace_replay("/nonexistent/dir/trace") < 0);
    assert_true(kr_sim_trace_write("/nonexistent/dir/trace") < 0);
    kr_finalize();
    unlink(path);
}

/* --- stepping ------------------------------------------------------------- */

static atomic_int pings;
static void on_ping(kr_process *self, const kr_message *m)
{
    (void)self;
    (void)m;
    atomic_fetch_add(&pings, 1);
}

static void step_and_run_report_what_they_did(void **state)
{
    (void)state;
    static kr_process p;
    kr_config c = kt_config();
    c.seed = 11;
    assert_int_equal(kr_init(&c), 0);
    assert_true(kr_sim_seed() == 11);
    kr_sim_run(0); /* whatever the runtime does at start */
    assert_false(kr_sim_step());
    assert_int_equal(kr_sim_run(0), 0);

    atomic_store(&pings, 0);
    uint64_t start = kr_sim_steps();
    kr_process_init(&p, "stepped", NULL);
    assert_int_equal(kr_install(&p, "ping", on_ping), 0);
    kr_pid pid = kr_spawn(&p, false);
    for (int i = 0; i < 3; i++)
        kr_post(pid, "ping", NULL, 0);
    assert_int_equal(atomic_load(&pings), 0); /* nothing runs by itself */

    assert_int_equal(kr_sim_run(2), 2); /* max_steps is honoured */
    assert_true(kr_sim_steps() == start + 2);
    size_t more = 0;
    while (kr_sim_step())
        more++;
    assert_true(more >= 1);
    assert_true(kr_sim_steps() == start + 2 + more);
    assert_int_equal(atomic_load(&pings), 3);
    assert_int_equal(kr_sim_run(0), 0);
    kr_finalize();
}

/* --- kr_check stops the run ---------------------------------------------- */

static atomic_int ticks;

static void tick(kr_process *self, const void *arg)
{
    (void)arg;
    int n = atomic_fetch_add(&ticks, 1) + 1;
    kr_check(n < 3, "tick limit %d", n);
    kr_dispatch(kr_self(self), tick, NULL, 0); /* forever, unless stopped */
}

static void a_failed_check_stops_the_run(void **state)
{
    (void)state;
    static kr_process p;
    kr_config c = kt_config();
    c.seed = 3;
    assert_int_equal(kr_init(&c), 0);
    atomic_store(&ticks, 0);
    kr_process_init(&p, "ticker", NULL);
    kr_pid pid = kr_spawn(&p, false);
    kr_dispatch(pid, tick, NULL, 0);

    size_t steps = kr_sim_run(10000);
    assert_true(steps < 10000);
    assert_int_equal(atomic_load(&ticks), 3);
    const char *failure = kr_sim_failure();
    assert_non_null(failure);
    assert_non_null(strstr(failure, "tick limit 3"));
    assert_non_null(strstr(failure, "seed"));
    assert_false(kr_sim_step());

    /* Blocking calls return early instead of running on. */
    kr_promise *never = kr_promise_new();
    kr_future *f = kr_promise_future(never);
    assert_false(kr_future_await(f, KR_SEC(3600)));
    assert_int_equal(atomic_load(&ticks), 3);
    kr_future_unref(f);
    kr_promise_free(never);
    kr_finalize();

    /* The next runtime starts clean. */
    assert_int_equal(kr_init(&c), 0);
    assert_null(kr_sim_failure());
    kr_finalize();
}

/* --- virtual time --------------------------------------------------------- */

typedef struct timed {
    kr_process base;
    int n;
    char log[8];
    kr_time when[8];
} timed;

typedef struct timed_arg {
    char letter;
    kr_promise *signal;
} timed_arg;

static void timed_fire(kr_process *self, const void *arg)
{
    timed *t = (timed *)self;
    const timed_arg *a = arg;
    if (t->n < 7) {
        t->log[t->n] = a->letter;
        t->when[t->n] = kr_clock_now();
        t->n++;
    }
    if (a->signal)
        kr_promise_set(a->signal, NULL, NULL);
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void an_hour_of_virtual_time_costs_no_wall_time(void **state)
{
    (void)state;
    static timed t;
    memset(&t, 0, sizeof t);
    kr_process_init(&t.base, "patient", NULL);
    kr_pid pid = kr_spawn(&t.base, false);
    assert_false(kr_clock_paused());

    double wall0 = wall_seconds();
    kr_time t0 = kr_clock_now();
    timed_arg a = {.letter = 'h', .signal = kr_promise_new()};
    kr_future *fired = kr_promise_future(a.signal);
    assert_true(kr_delay(KR_SEC(3600), pid, timed_fire, &a, sizeof a) != 0);
    /* On sim the await's timeout is virtual time too: allow two hours. */
    assert_true(kr_future_await(fired, KR_SEC(7200)));
    kr_future_unref(fired);
    kr_promise_free(a.signal);

    assert_true(kr_clock_now() - t0 >= KR_SEC(3600));
    assert_true(t.when[0] == t0 + KR_SEC(3600)); /* jumped exactly there */
    assert_true(wall_seconds() - wall0 < 5.0);
}

static void timers_fire_at_their_deadlines_in_virtual_time(void **state)
{
    (void)state;
    static timed t;
    memset(&t, 0, sizeof t);
    kr_process_init(&t.base, "scheduled", NULL);
    kr_pid pid = kr_spawn(&t.base, false);
    kr_time t0 = kr_clock_now();
    timed_arg b = {'b', NULL}, a = {'a', NULL}, c = {'c', kr_promise_new()};
    kr_future *last = kr_promise_future(c.signal);
    kr_delay(KR_SEC(600), pid, timed_fire, &b, sizeof b);
    kr_delay(KR_SEC(300), pid, timed_fire, &a, sizeof a);
    kr_delay(KR_SEC(1200), pid, timed_fire, &c, sizeof c);
    assert_true(kr_future_await(last, KR_SEC(3600)));
    kr_future_unref(last);
    kr_promise_free(c.signal);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.log, "abc");
    assert_true(t.when[0] == t0 + KR_SEC(300));
    assert_true(t.when[1] == t0 + KR_SEC(600));
    assert_true(t.when[2] == t0 + KR_SEC(1200));
}

static void kr_wait_runs_the_simulation(void **state)
{
    (void)state;
    static kr_process p;
    kr_process_init(&p, "short-lived", NULL);
    kr_pid pid = kr_spawn(&p, false);
    kr_terminate(pid, false); /* nothing has run yet */
    assert_true(kr_wait(pid, KT_TIMEOUT));
    /* A condition that can never hold returns false instead of hanging. */
    static kr_process q;
    kr_process_init(&q, "immortal", NULL);
    kr_pid qpid = kr_spawn(&q, false);
    assert_false(kr_wait(qpid, KR_FOREVER));
}

/* After a failed check the run stops, yet kr_finalize still ends every
 * process: managed ones are destroyed, nothing is left behind. */
typedef struct doomed {
    kr_process base;
} doomed;
static int doomed_destroyed;

static void doomed_fail(kr_process *self, const void *arg)
{
    (void)self;
    (void)arg;
    kr_check(false, "deliberate");
}

static void doomed_destroy(kr_process *self)
{
    doomed_destroyed++;
    free(self);
}

static void finalize_after_a_failed_check_ends_everything(void **state)
{
    (void)state;
    kr_config c = {.seed = 5};
    assert_int_equal(kr_init(&c), 0);
    static const kr_process_ops ops = {.destroy = doomed_destroy};
    doomed_destroyed = 0;
    kr_pid first = KR_PID_NONE;
    for (int i = 0; i < 3; i++) {
        doomed *d = calloc(1, sizeof *d);
        kr_process_init(&d->base, NULL, &ops);
        kr_pid pid = kr_spawn(&d->base, true);
        if (i == 0)
            first = pid;
    }
    kr_dispatch(first, doomed_fail, NULL, 0);
    kr_sim_run(0);
    assert_non_null(kr_sim_failure());
    assert_false(kr_sim_step()); /* stopped */
    kr_finalize();
    assert_int_equal(doomed_destroyed, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_BARE_TEST(same_seed_same_order_and_trace_hash),
        KT_BARE_TEST(different_seeds_give_different_orders),
        KT_BARE_TEST(per_producer_order_holds_under_every_seed),
        KT_BARE_TEST(fifo_and_pct_strategies_run),
        KT_BARE_TEST(unknown_strategy_is_EINVAL),
        KT_BARE_TEST(seed_comes_from_the_config_or_KAIROS_SEED),
        KT_BARE_TEST(a_written_trace_replays_under_another_seed),
        KT_BARE_TEST(malformed_or_missing_trace_files_are_errors),
        KT_BARE_TEST(step_and_run_report_what_they_did),
        KT_BARE_TEST(a_failed_check_stops_the_run),
        KT_BARE_TEST(finalize_after_a_failed_check_ends_everything),
        KT_TEST(an_hour_of_virtual_time_costs_no_wall_time),
        KT_TEST(timers_fire_at_their_deadlines_in_virtual_time),
        KT_TEST(kr_wait_runs_the_simulation),
    };
    return KT_RUN(tests);
}
