/* The one value grammar (kairos/parse.h) and the KAIROS_* variables read
 * with it: decimal or 0x hex integers, no leading-zero octal, booleans
 * exactly true/false, durations with a unit. Before this grammar,
 * KAIROS_SEED=010 was seed 8 (octal) while `--seed 010` was 10. */
#include "harness.h"

static void integers(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t value;
    } good[] = {
        {"0", 0}, {"7", 7}, {"10", 10}, {"0x8", 8}, {"0X1f", 31}, {"0xFFFFFFFFFFFFFFFF", UINT64_MAX},
        {"18446744073709551615", UINT64_MAX},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        uint64_t v = 12345;
        assert_int_equal(kr_parse_u64(good[i].text, &v), 0);
        assert_true(v == good[i].value);
    }
    static const char *const bad[] = {"", "010", "00", "08", "0x", "0x1g", "+1", "-1", " 1",
                                      "1 ", "1e3", "1.0", "0o7", "x10", "12x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint64_t v = 12345;
        if (kr_parse_u64(bad[i], &v) != KR_EINVAL)
            print_error("\"%s\" accepted\n", bad[i]);
        assert_int_equal(kr_parse_u64(bad[i], &v), KR_EINVAL);
        assert_true(v == 12345); /* untouched */
    }
    uint64_t v;
    assert_int_equal(kr_parse_u64("18446744073709551616", &v), KR_ERANGE);
    assert_int_equal(kr_parse_u64("0x10000000000000000", &v), KR_ERANGE);
    assert_int_equal(kr_parse_u64(NULL, &v), KR_EINVAL);
}

static void signed_integers(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(kr_parse_i64("-5", &v), 0);
    assert_true(v == -5);
    assert_int_equal(kr_parse_i64("-0x10", &v), 0);
    assert_true(v == -16);
    assert_int_equal(kr_parse_i64("-9223372036854775808", &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(kr_parse_i64("9223372036854775807", &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(kr_parse_i64("9223372036854775808", &v), KR_ERANGE);
    assert_int_equal(kr_parse_i64("-9223372036854775809", &v), KR_ERANGE);
    assert_int_equal(kr_parse_i64("-010", &v), KR_EINVAL);
    assert_int_equal(kr_parse_i64("--1", &v), KR_EINVAL);
    assert_int_equal(kr_parse_i64("-", &v), KR_EINVAL);
}

static void booleans(void **state)
{
    (void)state;
    bool b = false;
    assert_int_equal(kr_parse_bool("true", &b), 0);
    assert_true(b);
    assert_int_equal(kr_parse_bool("false", &b), 0);
    assert_false(b);
    static const char *const bad[] = {"True", "TRUE", "yes", "no", "1", "0", "on", "", "true "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(kr_parse_bool(bad[i], &b), KR_EINVAL);
}

static void durations(void **state)
{
    (void)state;
    kr_duration d;
    assert_int_equal(kr_parse_duration("250ms", &d), 0);
    assert_true(d == KR_MSEC(250));
    assert_int_equal(kr_parse_duration("0.5s", &d), 0);
    assert_true(d == KR_MSEC(500));
    assert_int_equal(kr_parse_duration("0", &d), 0);
    assert_true(d == 0);
    assert_int_equal(kr_parse_duration("42", &d), 0);
    assert_true(d == 42);
    assert_int_equal(kr_parse_duration("010ms", &d), KR_EINVAL);
    assert_int_equal(kr_parse_duration("0x10ms", &d), KR_EINVAL);
    assert_int_equal(kr_parse_duration("-1ms", &d), KR_EINVAL);
    assert_int_equal(kr_parse_duration("1.5ns", &d), KR_EINVAL);
    assert_int_equal(kr_parse_duration("9223372037s", &d), KR_ERANGE);
}

/* kr_init with one environment variable set to `value`; restores it. */
static int init_with(const char *name, const char *value)
{
    char *saved = getenv(name) ? strdup(getenv(name)) : NULL;
    setenv(name, value, 1);
    kr_config c;
    memset(&c, 0, sizeof c);
    int rc = kr_init(&c);
    if (rc == 0)
        kr_finalize();
    if (saved)
        setenv(name, saved, 1);
    else
        unsetenv(name);
    free(saved);
    return rc;
}

static void environment_uses_the_grammar(void **state)
{
    (void)state;
    /* The core's variables (this node's port), on both backends. */
    assert_int_equal(init_with("KAIROS_PORT", "010"), KR_EINVAL);
#ifndef KAIROS_SIM
    /* The real backend's own. */
    assert_int_equal(init_with("KAIROS_WORKERS", "010"), KR_EINVAL);
    assert_int_equal(init_with("KAIROS_WORKERS", "0x2"), 0);
#else
    /* The simulator's own. */
    assert_int_equal(init_with("KAIROS_PCT_DEPTH", "03"), KR_EINVAL);
    /* Was octal 8: now refused, and hex says what it means. */
    assert_int_equal(init_with("KAIROS_SEED", "010"), KR_EINVAL);
    char *saved = getenv("KAIROS_SEED") ? strdup(getenv("KAIROS_SEED")) : NULL;
    setenv("KAIROS_SEED", "0x8", 1);
    kr_config c;
    memset(&c, 0, sizeof c);
    assert_int_equal(kr_init(&c), 0);
    uint64_t seed = kr_sim_seed();
    kr_finalize();
    if (saved)
        setenv("KAIROS_SEED", saved, 1);
    else
        unsetenv("KAIROS_SEED");
    free(saved);
    assert_true(seed == 8);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers),
        cmocka_unit_test(signed_integers),
        cmocka_unit_test(booleans),
        cmocka_unit_test(durations),
        cmocka_unit_test(environment_uses_the_grammar),
    };
    return cmocka_run_group_tests_name("parse_" KT_BACKEND, tests, NULL, NULL);
}
