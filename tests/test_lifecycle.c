/* Runtime lifecycle: kr_init / kr_finalize, configuration from the
 * environment, kr_backend, kr_address, kr_strerror. Each test starts and stops
 * the runtime itself (KT_BARE_TEST finalizes whatever is left running). */
#include "harness.h"

static void init_and_finalize_many_times(void **state)
{
    (void)state;
    for (int i = 0; i < 100; i++) {
        kr_config c = kt_config();
        assert_false(kr_running());
        assert_int_equal(kr_init(&c), 0);
        assert_true(kr_running());
        kr_finalize();
    }
    assert_false(kr_running());
}

static void init_with_null_config_uses_defaults(void **state)
{
    (void)state;
    assert_int_equal(kr_init(NULL), 0);
    assert_true(kr_running());
    kr_finalize();
    assert_false(kr_running());
}

static void init_while_running_is_ESTATE(void **state)
{
    (void)state;
    kr_config c = kt_config();
    assert_int_equal(kr_init(&c), 0);
    assert_int_equal(kr_init(&c), KR_ESTATE);
    assert_true(kr_running()); /* the first runtime is untouched */
    kr_finalize();
    assert_false(kr_running());
}

static void finalize_when_not_running_is_a_no_op(void **state)
{
    (void)state;
    kr_finalize();
    kr_finalize();
    assert_false(kr_running());
    kr_config c = kt_config();
    assert_int_equal(kr_init(&c), 0);
    kr_finalize();
    kr_finalize();
    assert_false(kr_running());
}

static void backend_names_the_library(void **state)
{
    (void)state;
    assert_non_null(kr_backend());
    assert_string_equal(kr_backend(), KT_BACKEND);
    kr_config c = kt_config();
    assert_int_equal(kr_init(&c), 0);
    assert_string_equal(kr_backend(), KT_BACKEND);
    kr_finalize();
}

static void address_is_ip_colon_port(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(kr_address(buf, sizeof buf), KR_ESTATE);

    kr_config c = kt_config();
    assert_int_equal(kr_init(&c), 0);
    assert_int_equal(kr_address(buf, sizeof buf), 0);
    unsigned a, b, cc, d, port;
    char tail;
    assert_int_equal(sscanf(buf, "%u.%u.%u.%u:%u%c", &a, &b, &cc, &d, &port, &tail), 5);
    assert_true(a <= 255 && b <= 255 && cc <= 255 && d <= 255 && port <= 65535);
#ifndef KAIROS_SIM
    if (!getenv("KAIROS_IP"))
        assert_true(strncmp(buf, "127.0.0.1:", 10) == 0);
#endif

    char tiny[4];
    assert_int_equal(kr_address(tiny, sizeof tiny), KR_ENOSPC);

    /* A local process' pid carries this node's address. */
    kr_process p;
    kr_process_init(&p, "addressed", NULL);
    kr_pid pid = kr_spawn(&p, false);
    assert_false(kr_pid_is_none(pid));
    char text[KR_PID_STRLEN_MAX], expected[KR_PID_STRLEN_MAX];
    assert_int_equal(kr_pid_format(pid, text, sizeof text), 0);
    snprintf(expected, sizeof expected, "addressed@%s", buf);
    assert_string_equal(text, expected);
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    kr_finalize();
}

#ifndef KAIROS_SIM
/* KAIROS_WORKERS is the real backend's (kr__backend_configure). */
static void garbage_KAIROS_WORKERS_makes_init_EINVAL(void **state)
{
    (void)state;
    kr_config c;
    memset(&c, 0, sizeof c);
    c.seed = KT_DEFAULT_SEED;

    setenv("KAIROS_WORKERS", "garbage", 1);
    assert_int_equal(kr_init(&c), KR_EINVAL);
    assert_false(kr_running());
    assert_int_equal(kr_init(NULL), KR_EINVAL);
    assert_false(kr_running());

    /* A field the caller sets wins over the environment. */
    c.workers = 2;
    int rc = kr_init(&c);
    unsetenv("KAIROS_WORKERS");
    assert_int_equal(rc, 0);
    kr_finalize();

    c.workers = 0;
    assert_int_equal(kr_init(&c), 0);
    kr_finalize();
}
#endif

/* Each backend reads and checks its own fields and variables (workers and
 * runq: real; seed, strategy and pct_depth: sim) and does not look at the
 * other's, so one program's configuration serves both libraries. */
static void each_backend_checks_only_its_own_fields(void **state)
{
    (void)state;
    kr_config mine, theirs;
    memset(&mine, 0, sizeof mine);
    memset(&theirs, 0, sizeof theirs);
    const char *var;
#ifdef KAIROS_SIM
    mine.strategy = "bogus";
    theirs.workers = -3;
    theirs.runq = "bogus";
    var = "KAIROS_WORKERS";
#else
    mine.runq = "bogus";
    theirs.strategy = "bogus";
    theirs.pct_depth = 99;
    var = "KAIROS_STRATEGY";
#endif
    assert_int_equal(kr_init(&mine), KR_EINVAL);
    assert_false(kr_running());
    assert_int_equal(kr_init(&theirs), 0);
    kr_finalize();
    setenv(var, "garbage", 1);
    int rc = kr_init(NULL);
    unsetenv(var);
    assert_int_equal(rc, 0);
    kr_finalize();
}

static void invalid_configuration_values_are_EINVAL(void **state)
{
    (void)state;
    kr_config c;
    int rc;

#ifdef KAIROS_SIM
    memset(&c, 0, sizeof c);
    c.strategy = "no-such-strategy";
    assert_int_equal(kr_init(&c), KR_EINVAL);
    assert_false(kr_running());

    char *saved_seed = getenv("KAIROS_SEED") ? strdup(getenv("KAIROS_SEED")) : NULL;
    setenv("KAIROS_SEED", "not-a-number", 1);
    memset(&c, 0, sizeof c);
    rc = kr_init(&c);
    if (saved_seed)
        setenv("KAIROS_SEED", saved_seed, 1);
    else
        unsetenv("KAIROS_SEED");
    free(saved_seed);
    assert_int_equal(rc, KR_EINVAL);
    assert_false(kr_running());

    memset(&c, 0, sizeof c);
    c.pct_depth = KR_PCT_DEPTH_MAX + 1;
    assert_int_equal(kr_init(&c), KR_EINVAL);
    assert_false(kr_running());
#else
    memset(&c, 0, sizeof c);
    c.workers = -3;
    assert_int_equal(kr_init(&c), KR_EINVAL);
    assert_false(kr_running());

    setenv("KAIROS_RUNQ", "bogus", 1);
    memset(&c, 0, sizeof c);
    rc = kr_init(&c);
    unsetenv("KAIROS_RUNQ");
    assert_int_equal(rc, KR_EINVAL);
    assert_false(kr_running());

    memset(&c, 0, sizeof c);
    c.ip = "not-an-ip";
    assert_int_equal(kr_init(&c), KR_EINVAL);
    assert_false(kr_running());

    memset(&c, 0, sizeof c);
    c.port = 70000;
    assert_int_equal(kr_init(&c), KR_EINVAL);
    assert_false(kr_running());

    setenv("KAIROS_PORT", "70000", 1);
    memset(&c, 0, sizeof c);
    rc = kr_init(&c);
    unsetenv("KAIROS_PORT");
    assert_int_equal(rc, KR_EINVAL);
    assert_false(kr_running());
#endif

    /* A failed init leaves nothing behind: a valid one still works. */
    c = kt_config();
    assert_int_equal(kr_init(&c), 0);
    kr_finalize();
}

static void strerror_describes_every_code(void **state)
{
    (void)state;
#define CHECK_TEXT(name, value, text) assert_string_equal(kr_strerror(KR_##name), text);
    KR_ERRNO_MAP(CHECK_TEXT)
#undef CHECK_TEXT
    assert_int_equal(KR_EINVAL, -1);
    assert_int_equal(KR_EFORMAT, -11);
    assert_non_null(kr_strerror(0));
    assert_non_null(kr_strerror(-12345));
    assert_non_null(kr_strerror(12345));
    assert_string_not_equal(kr_strerror(0), kr_strerror(KR_EINVAL));
}

/* kr_finalize terminates every process, serving what is queued first. */
typedef struct counting_proc {
    kr_process base;
    atomic_int messages, finalized;
} counting_proc;

static void count_message(kr_process *self, const kr_message *m)
{
    (void)m;
    atomic_fetch_add(&((counting_proc *)self)->messages, 1);
}
static void count_finalize(kr_process *self)
{
    atomic_fetch_add(&((counting_proc *)self)->finalized, 1);
}

static void finalize_serves_queued_events_and_finalizes_processes(void **state)
{
    (void)state;
    static counting_proc p; /* outlives the runtime */
    memset(&p, 0, sizeof p);
    const kr_process_ops ops = {.finalize = count_finalize};

    kr_config c = kt_config();
    assert_int_equal(kr_init(&c), 0);
    kr_process_init(&p.base, "lives-until-finalize", &ops);
    assert_int_equal(kr_install(&p.base, "tick", count_message), 0);
    kr_pid pid = kr_spawn(&p.base, false);
    assert_false(kr_pid_is_none(pid));
    for (int i = 0; i < 5; i++)
        kr_post(pid, "tick", NULL, 0);
    kr_finalize();

    assert_int_equal(atomic_load(&p.messages), 5);
    assert_int_equal(atomic_load(&p.finalized), 1);
}

static void a_fresh_runtime_forgets_the_previous_one(void **state)
{
    (void)state;
    kr_config c = kt_config();
    kr_process a, b;

    assert_int_equal(kr_init(&c), 0);
    char *id = kr_id_generate("gen");
    assert_string_equal(id, "gen(1)");
    free(id);
    kr_process_init(&a, "reused", NULL);
    assert_false(kr_pid_is_none(kr_spawn(&a, false)));
    kr_finalize();

    assert_int_equal(kr_init(&c), 0);
    id = kr_id_generate("gen");
    assert_string_equal(id, "gen(1)"); /* counters restart at kr_init */
    free(id);
    kr_process_init(&b, "reused", NULL); /* the id is free again */
    kr_pid pid = kr_spawn(&b, false);
    assert_false(kr_pid_is_none(pid));
    kr_terminate(pid, false);
    assert_true(kr_wait(pid, KT_TIMEOUT));
    kr_finalize();
}

int main(void)
{
    /* The tests set these themselves; inherited values would skew them. */
    unsetenv("KAIROS_WORKERS");
    unsetenv("KAIROS_PORT");
    unsetenv("KAIROS_IP");
    unsetenv("KAIROS_STRATEGY");
    const struct CMUnitTest tests[] = {
        KT_BARE_TEST(init_and_finalize_many_times),
        KT_BARE_TEST(init_with_null_config_uses_defaults),
        KT_BARE_TEST(init_while_running_is_ESTATE),
        KT_BARE_TEST(finalize_when_not_running_is_a_no_op),
        KT_BARE_TEST(backend_names_the_library),
        KT_BARE_TEST(address_is_ip_colon_port),
#ifndef KAIROS_SIM
        KT_BARE_TEST(garbage_KAIROS_WORKERS_makes_init_EINVAL),
#endif
        KT_BARE_TEST(invalid_configuration_values_are_EINVAL),
        KT_BARE_TEST(each_backend_checks_only_its_own_fields),
        KT_BARE_TEST(strerror_describes_every_code),
        KT_BARE_TEST(finalize_serves_queued_events_and_finalizes_processes),
        KT_BARE_TEST(a_fresh_runtime_forgets_the_previous_one),
    };
    return KT_RUN(tests);
}
