/* Probes (kairos/probe.h) on both backends: actor code calls kr_probe and
 * kr_sometimes without #ifdef KAIROS_SIM; hits are counted per runtime,
 * readable by name and in first-hit order, and listed in /metrics/snapshot. */
#include "harness.h"

typedef struct seen {
    char names[8][32];
    uint64_t hits[8];
    size_t n;
} seen;

static void collect(const char *name, uint64_t hits, void *ctx)
{
    seen *s = ctx;
    if (s->n < 8) {
        snprintf(s->names[s->n], sizeof s->names[s->n], "%s", name);
        s->hits[s->n++] = hits;
    }
}

static void hit_inside(kr_process *self, const void *arg)
{
    (void)self;
    int times = *(const int *)arg;
    for (int i = 0; i < times; i++) {
        kr_probe("inside");
        kr_sometimes(i % 2 == 0, "even");
    }
}

static void counts_hits_by_name_inside_and_outside_processes(void **state)
{
    (void)state;
    assert_int_equal(kr_probe_count("inside"), 0);
    kr_probe("outside");
    kr_probe(NULL); /* ignored */
    kr_sometimes(false, "never");

    kr_process p;
    kr_process_init(&p, "prober", NULL);
    kr_pid pid = kr_spawn(&p, false);
    int times = 5;
    kr_dispatch(pid, hit_inside, &times, sizeof times);
    kt_flush(pid);

    assert_int_equal(kr_probe_count("outside"), 1);
    assert_int_equal(kr_probe_count("inside"), 5);
    assert_int_equal(kr_probe_count("even"), 3);
    assert_int_equal(kr_probe_count("never"), 0);
    assert_int_equal(kr_probe_count(NULL), 0);

    seen s = {0};
    kr_probe_each(collect, &s);
    assert_int_equal(s.n, 3); /* first-hit order */
    assert_string_equal(s.names[0], "outside");
    assert_string_equal(s.names[1], "inside");
    assert_string_equal(s.names[2], "even");
    assert_int_equal(s.hits[1], 5);
    kr_probe_each(NULL, NULL); /* ignored */

    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
}

static void counts_are_per_runtime(void **state)
{
    (void)state;
    kr_config c = kt_config();
    assert_int_equal(kr_init(&c), 0);
    kr_probe("once");
    kr_probe("once");
    kr_finalize();
    assert_int_equal(kr_probe_count("once"), 2); /* readable after finalize */
    assert_int_equal(kr_init(&c), 0);
    assert_int_equal(kr_probe_count("once"), 0); /* a fresh runtime forgets */
    seen s = {0};
    kr_probe_each(collect, &s);
    assert_int_equal(s.n, 0);
    kr_finalize();
}

static void snapshot_lists_probes(void **state)
{
    (void)state;
    kr_probe("a \"quoted\" probe");
    kr_probe("a \"quoted\" probe");
    char address[64], url[128];
    assert_int_equal(kr_address(address, sizeof address), 0);
    snprintf(url, sizeof url, "http://%s/metrics/snapshot", address);
    kr_future *f = kr_http_get(url);
    assert_true(kr_future_await(f, KT_TIMEOUT));
    assert_int_equal(kr_future_state_of(f), KR_READY);
    const kr_http_response *r = kr_future_value(f);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->body, "\"kairos/probe/a \\\"quoted\\\" probe\":2"));
    kr_future_unref(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(counts_hits_by_name_inside_and_outside_processes),
        KT_BARE_TEST(counts_are_per_runtime),
        KT_TEST(snapshot_lists_probes),
    };
    return KT_RUN(tests);
}
