/* Sim backend only: the exploration strategies. PCT draws its change points
 * from the run's real length (kr_config.pct_steps / KAIROS_PCT_STEPS), so a
 * depth-2 ordering bug in a short run is found far more often than with the
 * old fixed estimate of 2000 steps; POS is seeded and replays; bad values
 * are refused. */
#include "harness.h"

#include <stdlib.h>

/* A runs LONG events in a chain; B runs one. The "bug": B's event lands
 * exactly after A's MIDDLE-th event, an ordering of depth 2 (B below A,
 * then A lowered at one precise step). */
#define LONG 20
#define MIDDLE 10

typedef struct chain {
    kr_process base;
    int left;
} chain;

static int a_done;   /* A's events so far */
static int b_after;  /* A's count when B ran, -1 before */

static void a_step(kr_process *self, const void *arg)
{
    (void)arg;
    chain *c = (chain *)self;
    a_done++;
    if (--c->left > 0)
        kr_dispatch(kr_self(self), a_step, NULL, 0);
}

static void a_go(kr_process *self, const kr_message *m)
{
    (void)m;
    a_step(self, NULL);
}

static void b_go(kr_process *self, const kr_message *m)
{
    (void)self;
    (void)m;
    b_after = a_done;
}

typedef struct run_out {
    bool hit;
    uint64_t steps, hash;
} run_out;

static run_out run_once(uint64_t seed, const char *strategy, int depth, uint64_t steps)
{
    static chain a, b;
    kr_config c = kt_config();
    c.seed = seed;
    c.strategy = strategy;
    c.pct_depth = depth;
    c.pct_steps = steps;
    assert_int_equal(kr_init(&c), 0);
    a_done = 0;
    b_after = -1;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.left = LONG;
    kr_process_init(&a.base, "a", NULL);
    kr_process_init(&b.base, "b", NULL);
    assert_int_equal(kr_install(&a.base, "go", a_go), 0);
    assert_int_equal(kr_install(&b.base, "go", b_go), 0);
    kr_pid pa = kr_spawn(&a.base, false), pb = kr_spawn(&b.base, false);
    kr_post(pa, "go", NULL, 0);
    kr_post(pb, "go", NULL, 0);
    kr_sim_run(0);
    run_out o = {.hit = b_after == MIDDLE, .steps = kr_sim_steps(), .hash = kr_sim_trace_hash()};
    kr_finalize();
    return o;
}

static int hits(const char *strategy, int depth, uint64_t steps, uint64_t seeds)
{
    int n = 0;
    for (uint64_t s = 1; s <= seeds; s++)
        n += run_once(s, strategy, depth, steps).hit;
    return n;
}

static void pct_with_the_runs_length_finds_a_depth_2_bug(void **state)
{
    (void)state;
    uint64_t k = run_once(1, "random", 0, 0).steps; /* every run has the same length */
    assert_in_range(k, LONG, 4 * LONG);
    int calibrated = hits("pct", 2, k, 400);
    int fixed_2000 = hits("pct", 2, 2000, 400);
    int random = hits("random", 0, 0, 400);
    print_message("depth-2 bug in %llu-step runs, 400 seeds: pct k=%llu %d, pct k=2000 %d, "
                  "random %d\n",
                  (unsigned long long)k, (unsigned long long)k, calibrated, fixed_2000, random);
    /* PCT's bound is 1/(n*k) per run: about 1/(3*k) here. */
    assert_true(calibrated >= 400 / (int)(8 * k));
    assert_true(calibrated >= 4 * (fixed_2000 + 1));
    assert_true(calibrated >= 4 * (random + 1));
}

static void pct_steps_comes_from_the_environment(void **state)
{
    (void)state;
    uint64_t k = run_once(1, "random", 0, 0).steps;
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)k);
    setenv("KAIROS_PCT_STEPS", text, 1);
    int from_env = hits("pct", 2, 0, 400);
    unsetenv("KAIROS_PCT_STEPS");
    assert_int_equal(from_env, hits("pct", 2, k, 400));
    assert_true(from_env > hits("pct", 2, 0, 400));
}

static void bad_pct_steps_are_refused(void **state)
{
    (void)state;
    kr_config c = kt_config();
    c.strategy = "pct";
    c.pct_steps = 2000000000ull;
    assert_int_equal(kr_init(&c), KR_EINVAL);
    c.pct_steps = 0;
    const char *bad[] = {"0", "-3", "12x", "", "99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        setenv("KAIROS_PCT_STEPS", bad[i], 1);
        assert_int_equal(kr_init(&c), KR_EINVAL);
    }
    unsetenv("KAIROS_PCT_STEPS");
    c.strategy = "nope";
    assert_int_equal(kr_init(&c), KR_EINVAL);
}

static void every_strategy_is_a_function_of_its_seed(void **state)
{
    (void)state;
    const char *names[] = {"random", "pct", "pos", "fifo"};
    for (size_t i = 0; i < 4; i++) {
        int distinct = 0;
        uint64_t first = 0;
        for (uint64_t s = 1; s <= 10; s++) {
            run_out x = run_once(s, names[i], 3, 30), y = run_once(s, names[i], 3, 30);
            assert_true(x.hash == y.hash);
            if (s == 1)
                first = x.hash;
            distinct += x.hash != first;
        }
        if (strcmp(names[i], "fifo") != 0)
            assert_true(distinct > 0); /* the seed matters */
    }
}

static void pos_delays_one_event_more_often_than_random(void **state)
{
    (void)state;
    /* B running after at least MIDDLE of A's events: a random walk does so
     * with probability 2^-MIDDLE; POS leaves B waiting while A's redrawn
     * priorities stay above B's. */
    int pos = 0, random = 0;
    for (uint64_t s = 1; s <= 300; s++) {
        pos += (run_once(s, "pos", 0, 0), b_after >= MIDDLE);
        random += (run_once(s, "random", 0, 0), b_after >= MIDDLE);
    }
    print_message("B after >= %d of A's events, 300 seeds: pos %d, random %d\n", MIDDLE, pos,
                  random);
    assert_true(pos >= 4 * (random + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pct_with_the_runs_length_finds_a_depth_2_bug),
        cmocka_unit_test(pct_steps_comes_from_the_environment),
        cmocka_unit_test(bad_pct_steps_are_refused),
        cmocka_unit_test(every_strategy_is_a_function_of_its_seed),
        cmocka_unit_test(pos_delays_one_event_more_often_than_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
