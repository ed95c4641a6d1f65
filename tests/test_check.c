/* Randomness, BUGGIFY fault points and kr_check, on both backends. */
#include "harness.h"

static void random_values_vary(void **state)
{
    (void)state;
    uint64_t v[16];
    int distinct = 0;
    for (int i = 0; i < 16; i++) {
        v[i] = kr_random();
        bool seen = false;
        for (int j = 0; j < i; j++)
            seen = seen || v[j] == v[i];
        distinct += !seen;
    }
    assert_true(distinct >= 15);
    /* Both halves of the word are used. */
    uint64_t ored = 0;
    for (int i = 0; i < 16; i++)
        ored |= v[i];
    assert_true((ored >> 32) != 0 && (ored & 0xffffffffu) != 0);
}

/* One BUGGIFY site, whatever line calls it. */
static bool site(double p)
{
    return kr_buggify(p);
}

#ifdef KAIROS_SIM
static void nothing(kr_process *self, const void *arg)
{
    (void)self;
    (void)arg;
}

static void draw(uint64_t seed, uint64_t out[4], bool run_events_first)
{
    kr_config c = kt_config();
    c.seed = seed;
    assert_int_equal(kr_init(&c), 0);
    if (run_events_first) {
        /* Scheduling draws use their own stream: they must not shift ours. */
        static kr_process p;
        kr_process_init(&p, "busy", NULL);
        kr_pid pid = kr_spawn(&p, false);
        for (int i = 0; i < 5; i++)
            kr_dispatch(pid, nothing, NULL, 0);
        kt_settle();
    }
    for (int i = 0; i < 4; i++)
        out[i] = kr_random();
    kr_finalize();
}

static void sim_random_is_a_function_of_the_seed(void **state)
{
    (void)state;
    kr_finalize(); /* this test starts its own runtimes */
    uint64_t a[4], b[4], c[4], d[4];
    draw(7, a, false);
    draw(7, b, false);
    draw(8, c, false);
    draw(7, d, true);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    assert_memory_equal(a, d, sizeof a);
}
#endif

static void buggify_is_false_on_real_and_stable_per_site_on_sim(void **state)
{
    (void)state;
#ifdef KAIROS_SIM
    /* An enabled site with p = 0 never fires; with p = 1 a site answers the
     * same every time within a seed. */
    for (int i = 0; i < 100; i++)
        assert_false(kr_buggify(0.0));
    bool first = site(1.0);
    for (int i = 0; i < 100; i++)
        assert_true(site(1.0) == first);
#else
    for (int i = 0; i < 1000; i++) {
        assert_false(site(1.0));
        assert_false(kr_buggify(0.5));
        assert_false((kr_buggify)(1.0));
    }
#endif
}

#ifdef KAIROS_SIM
/* Across seeds, one site is enabled for some and disabled for others
 * (probability 1/4 each). */
static void sim_buggify_sites_are_enabled_per_seed(void **state)
{
    (void)state;
    kr_finalize();
    int enabled = 0;
    const int seeds = 64;
    for (int s = 1; s <= seeds; s++) {
        kr_config c = kt_config();
        c.seed = (uint64_t)s;
        assert_int_equal(kr_init(&c), 0);
        enabled += site(1.0);
        kr_finalize();
    }
    assert_in_range(enabled, 1, seeds - 1);
}
#endif

static void failed_check_counts_on_real_and_fails_the_run_on_sim(void **state)
{
    (void)state;
#ifdef KAIROS_SIM
    assert_null(kr_sim_failure());
    kr_check(1 + 1 == 2, "arithmetic works");
    assert_null(kr_sim_failure());
    kr_check(1 + 1 == 3, "deliberate failure %d", 42);
    assert_non_null(kr_sim_failure());
    assert_non_null(strstr(kr_sim_failure(), "deliberate failure 42"));
#else
    uint64_t before = kr_check_failures();
    kr_check(1 + 1 == 2, "arithmetic works");
    assert_true(kr_check_failures() == before);
    kr_check(1 + 1 == 3, "deliberate failure %d", 42);
    assert_true(kr_check_failures() == before + 1);
    kr_check(false, "again");
    assert_true(kr_check_failures() == before + 2);
#endif
}

#ifndef KAIROS_SIM
static void fail_check(kr_process *self, const void *arg, kr_promise *result)
{
    (void)self;
    (void)arg;
    kr_check(false, "failed inside a process");
    kr_promise_set(result, NULL, NULL); /* and the handler carries on */
}

static void check_in_a_process_on_real_counts_and_continues(void **state)
{
    (void)state;
    static kr_process p;
    kr_process_init(&p, "checker", NULL);
    kr_pid pid = kr_spawn(&p, false);
    uint64_t before = kr_check_failures();
    kt_await_unref(kr_dispatch_call(pid, fail_check, NULL, 0), KR_READY);
    assert_true(kr_check_failures() == before + 1);
    kt_flush(pid);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(random_values_vary),
#ifdef KAIROS_SIM
        KT_TEST(sim_random_is_a_function_of_the_seed),
        KT_TEST(sim_buggify_sites_are_enabled_per_seed),
#endif
        KT_TEST(buggify_is_false_on_real_and_stable_per_site_on_sim),
        KT_TEST(failed_check_counts_on_real_and_fails_the_run_on_sim),
#ifndef KAIROS_SIM
        KT_TEST(check_in_a_process_on_real_counts_and_continues),
#endif
    };
    return KT_RUN(tests);
}
