/* Process identifiers: "id@a.b.c.d:port" text, KR_PID_NONE, equality.
 * Pure value functions: no runtime is started. */
#include "harness.h"

static void parse_then_format_round_trips(void **state)
{
    (void)state;
    const char *texts[] = {
        "worker@10.0.0.7:5050",   "(1)@127.0.0.1:1",   "a@0.0.0.0:0",
        "x@255.255.255.255:65535", "scheduler(42)@192.168.1.20:5051",
        "n@100.20.3.109:80", /* every octet width, zeros inside */
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        kr_pid p;
        char buf[KR_PID_STRLEN_MAX];
        assert_int_equal(kr_pid_parse(texts[i], &p), 0);
        assert_false(kr_pid_is_none(p));
        assert_int_equal(kr_pid_format(p, buf, sizeof buf), 0);
        assert_string_equal(buf, texts[i]);
    }
}

static void parse_fills_id_ip_and_port(void **state)
{
    (void)state;
    kr_pid p;
    assert_int_equal(kr_pid_parse("worker@10.0.0.7:5050", &p), 0);
    assert_string_equal(p.id, "worker");
    assert_int_equal(p.ip, 0x0A000007u); /* host byte order */
    assert_int_equal(p.port, 5050);
}

static void last_at_sign_separates_id_from_address(void **state)
{
    (void)state;
    kr_pid p;
    assert_int_equal(kr_pid_parse("user@host@1.2.3.4:80", &p), 0);
    assert_string_equal(p.id, "user@host");
    assert_int_equal(p.ip, 0x01020304u);
    assert_int_equal(p.port, 80);
}

static void malformed_text_is_an_error(void **state)
{
    (void)state;
    const char *bad[] = {
        "",                  "noatsign",          "id@",
        "id@1.2.3.4",        "id@1.2.3.4:",       "id@1.2.3:80",
        "id@1.2.3.4.5:80",   "id@1..3.4:80",      "id@a.b.c.d:80",
        "id@1.2.3.4:80x",    "id@1.2.3.4:x80",    "id@1.2.3.4:-1",
        "id@localhost:80",   "id@:80",            "id@1.2.3.4:80 ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kr_pid p;
        int rc = kr_pid_parse(bad[i], &p);
        if (rc != KR_EFORMAT)
            fprintf(stderr, "parse(\"%s\") = %d\n", bad[i], rc);
        assert_int_equal(rc, KR_EFORMAT);
    }
}

static void out_of_range_numbers_are_an_error(void **state)
{
    (void)state;
    const char *bad[] = {
        "id@1.2.3.4:65536",
        "id@1.2.3.4:99999999999999999999",
        "id@256.2.3.4:80",
        "id@1.2.3.300:80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kr_pid p;
        int rc = kr_pid_parse(bad[i], &p);
        if (rc != KR_EFORMAT && rc != KR_ERANGE)
            fprintf(stderr, "parse(\"%s\") = %d\n", bad[i], rc);
        assert_true(rc == KR_EFORMAT || rc == KR_ERANGE);
    }
}

static void id_longer_than_KR_ID_MAX_is_ENAMETOOLONG(void **state)
{
    (void)state;
    char text[256];
    kr_pid p;

    memset(text, 'a', KR_ID_MAX);
    strcpy(text + KR_ID_MAX, "@1.2.3.4:5");
    assert_int_equal(kr_pid_parse(text, &p), 0);
    assert_int_equal(strlen(p.id), KR_ID_MAX);

    memset(text, 'a', KR_ID_MAX + 1);
    strcpy(text + KR_ID_MAX + 1, "@1.2.3.4:5");
    assert_int_equal(kr_pid_parse(text, &p), KR_ENAMETOOLONG);
}

static void null_arguments_are_errors(void **state)
{
    (void)state;
    kr_pid p;
    assert_true(kr_pid_parse(NULL, &p) < 0);
    assert_true(kr_pid_parse("a@1.2.3.4:5", NULL) < 0);
    assert_int_equal(kr_pid_parse("a@1.2.3.4:5", &p), 0);
    assert_true(kr_pid_format(p, NULL, 16) < 0);
}

static void longest_pid_fits_KR_PID_STRLEN_MAX(void **state)
{
    (void)state;
    char text[KR_PID_STRLEN_MAX + 8], buf[KR_PID_STRLEN_MAX];
    kr_pid p;
    memset(text, 'z', KR_ID_MAX);
    strcpy(text + KR_ID_MAX, "@255.255.255.255:65535");
    assert_int_equal(kr_pid_parse(text, &p), 0);
    assert_int_equal(kr_pid_format(p, buf, sizeof buf), 0);
    assert_string_equal(buf, text);
    assert_int_equal(strlen(buf) + 1, KR_PID_STRLEN_MAX);
}

static void format_into_a_short_buffer_is_ENOSPC_and_terminated(void **state)
{
    (void)state;
    kr_pid p;
    char buf[8];
    assert_int_equal(kr_pid_parse("worker@10.0.0.7:5050", &p), 0);
    memset(buf, 'X', sizeof buf);
    assert_int_equal(kr_pid_format(p, buf, sizeof buf), KR_ENOSPC);
    assert_non_null(memchr(buf, '\0', sizeof buf));

    /* Exactly one byte short of the text plus its NUL. */
    char exact[sizeof "worker@10.0.0.7:5050"];
    assert_int_equal(kr_pid_format(p, exact, sizeof exact - 1), KR_ENOSPC);
    assert_int_equal(kr_pid_format(p, exact, sizeof exact), 0);
    assert_string_equal(exact, "worker@10.0.0.7:5050");
}

static void pid_none_is_none(void **state)
{
    (void)state;
    assert_true(kr_pid_is_none(KR_PID_NONE));
    assert_string_equal(KR_PID_NONE.id, "");
    assert_true(kr_pid_equal(KR_PID_NONE, KR_PID_NONE));

    kr_pid empty_id = KR_PID_NONE;
    empty_id.ip = 0x7F000001u;
    empty_id.port = 80;
    assert_true(kr_pid_is_none(empty_id));

    kr_pid p;
    assert_int_equal(kr_pid_parse("a@1.2.3.4:5", &p), 0);
    assert_false(kr_pid_is_none(p));
    assert_false(kr_pid_equal(p, KR_PID_NONE));
}

static void equality_compares_id_and_address_only(void **state)
{
    (void)state;
    kr_pid a, b;
    assert_int_equal(kr_pid_parse("a@1.2.3.4:5", &a), 0);

    b = a;
    b.kr_slot = a.kr_slot + 77;
    b.kr_gen = a.kr_gen + 99;
    assert_true(kr_pid_equal(a, b)); /* the lookup cache never matters */

    b = a;
    b.port++;
    assert_false(kr_pid_equal(a, b));
    b = a;
    b.ip++;
    assert_false(kr_pid_equal(a, b));
    assert_int_equal(kr_pid_parse("b@1.2.3.4:5", &b), 0);
    assert_false(kr_pid_equal(a, b));
    assert_int_equal(kr_pid_parse("a@1.2.3.4:5", &b), 0);
    assert_true(kr_pid_equal(a, b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_then_format_round_trips),
        cmocka_unit_test(parse_fills_id_ip_and_port),
        cmocka_unit_test(last_at_sign_separates_id_from_address),
        cmocka_unit_test(malformed_text_is_an_error),
        cmocka_unit_test(out_of_range_numbers_are_an_error),
        cmocka_unit_test(id_longer_than_KR_ID_MAX_is_ENAMETOOLONG),
        cmocka_unit_test(null_arguments_are_errors),
        cmocka_unit_test(longest_pid_fits_KR_PID_STRLEN_MAX),
        cmocka_unit_test(format_into_a_short_buffer_is_ENOSPC_and_terminated),
        cmocka_unit_test(pid_none_is_none),
        cmocka_unit_test(equality_compares_id_and_address_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
