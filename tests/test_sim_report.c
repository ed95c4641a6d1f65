/* Sim only: the HTML reports (sim/harness/report). Traces and sweep summaries are
 * written by hand, including hostile strings (quotes, </script>, <!--,
 * control bytes, NUL, U+2028, non-ASCII), and the generated HTML is checked:
 * well formed enough, the data embedded as JSON that parses back to the
 * same strings, nothing able to break out of its <script> element, arrows,
 * fault spans and the failure where they belong, errors reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../sim/harness/report/report.h"

static char dir[] = "/tmp/kairos-report-test-XXXXXX";

static void path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t count_ci(const char *hay, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, len) == 0)
            n++;
    return n;
}

#define HEADER                                                                                 \
    "{\"type\":\"header\",\"format\":\"kairos-trace\",\"version\":1,"                         \
    "\"scenario\":\"scenarios/x.yaml\",\"name\":\"race <b>&amp;</b>\",\"seed\":7,"            \
    "\"strategy\":\"random\",\"pct_depth\":3,"                                                \
    "\"nodes\":[{\"name\":\"bank\",\"address\":\"10.0.0.1:5050\"},"                           \
    "{\"name\":\"teller\",\"address\":\"10.0.0.2:5050\"}],"                                   \
    "\"processes\":[{\"id\":\"account\",\"type\":\"bank-account\",\"node\":\"bank\"},"        \
    "{\"id\":\"ledger\",\"type\":\"ledger\",\"node\":\"bank\"},"                              \
    "{\"id\":\"t1\",\"type\":\"teller\",\"node\":\"teller\"}],"                               \
    "\"skip_actions\":[],\"no_random_faults\":false}\n"

#define EV(step, kind, node, proc, name, from, to, preview)                                   \
    "{\"type\":\"event\",\"step\":" #step ",\"time\":" #step "000,\"kind\":\"" kind            \
    "\",\"node\":\"" node "\",\"process\":\"" proc "\",\"name\":\"" name "\",\"from\":\"" from \
    "\",\"to\":\"" to "\",\"len\":3,\"preview\":\"" preview "\",\"options\":2,\"chosen\":1}\n"

#define A1 "10.0.0.1:5050"
#define A2 "10.0.0.2:5050"
/* As the trace writer escapes bytes: U+2028 and é arrive as \u00XX per byte. */
#define HOSTILE                                                                                \
    "say \\\"hi\\\" </script><script>alert(1)</script> <!-- \\u00e2\\u0080\\u00a8 "           \
    "caf\\u00c3\\u00a9"

/* Events: 0 init, 1 send, 2 deliver, 3 message (net arrow 1->2), 4 local
 * message ledger->account (arrow from ledger's last event), 5 partition,
 * 6 drop at send (stub), 7 heal, 8 crash teller, 9 restart, 10 timer,
 * 11 check (the failure, process without node). */
static const char TRACE[] =
    HEADER
    EV(1, "init", A1, "ledger", "", "", "ledger@" A1, "")
    EV(2, "send", A2, "t1", HOSTILE, "t1@" A2, "account@" A1, "\\u0000\\u0001\\u00ff")
    EV(3, "deliver", A1, "account", HOSTILE, "t1@" A2, "account@" A1, "\\u0000\\u0001\\u00ff")
    EV(4, "message", A1, "account", HOSTILE, "t1@" A2, "account@" A1, "\\u0000\\u0001\\u00ff")
    EV(5, "message", A1, "account", "record", "ledger@" A1, "account@" A1, "abc")
    EV(6, "partition", "", "", "bank|teller", "", "", "")
    EV(7, "drop", A2, "t1", "withdraw", "t1@" A2, "account@" A1, "")
    EV(8, "heal", "", "", "", "", "", "")
    EV(9, "crash", A2, "", "", "", "", "")
    EV(10, "restart", A2, "", "", "", "", "")
    EV(11, "timer", "", "", "", "", "", "")
    EV(12, "check", "", "ledger", "invariant money: </script>\\u2028", "", "", "")
    "{\"type\":\"result\",\"status\":\"fail\",\"failure\":\"invariant money: 1 != 2 "
    "</script>\",\"signature\":\"invariant money\",\"fail_step\":12,\"fail_time\":12000,"
    "\"steps\":12,\"time\":12000,\"hash\":\"0x1\",\"events\":12,\"probes\":{}}\n"
    "{\"type\":\"schedule\",\"decisions\":[[2,1],[1,0]]}\n";

/* The JSON between <script type="application/json" id="kairos-data"> and
 * the next "</script>", parsed. */
static json_t *embedded_data(const char *html)
{
    const char *tag = "<script type=\"application/json\" id=\"kairos-data\">";
    const char *start = strstr(html, tag);
    assert_non_null(start);
    start += strlen(tag);
    const char *end = strstr(start, "</script>");
    assert_non_null(end);
    json_error_t je;
    json_t *d = json_loadb(start, (size_t)(end - start), JSON_ALLOW_NUL, &je);
    if (!d)
        fail_msg("embedded data is not JSON: %s (line %d)", je.text, je.line);
    return d;
}

static int str_index(json_t *d, const char *s, size_t len)
{
    json_t *strs = json_object_get(d, "str");
    for (size_t i = 0; i < json_array_size(strs); i++) {
        json_t *v = json_array_get(strs, i);
        if (json_string_length(v) == len && memcmp(json_string_value(v), s, len) == 0)
            return (int)i;
    }
    return -1;
}

static char *render_run(const char *trace, char *html_path, size_t n)
{
    char tp[512];
    path_in(tp, sizeof tp, "t.jsonl");
    path_in(html_path, n, "t.html");
    write_file(tp, trace);
    char err[256] = "";
    int rc = kr__report_run(tp, html_path, err, sizeof err);
    if (rc)
        fail_msg("kr__report_run: %d %s", rc, err);
    return read_file(html_path);
}

static void run_report_is_one_safe_page(void **state)
{
    (void)state;
    char hp[512];
    char *html = render_run(TRACE, hp, sizeof hp);
    assert_memory_equal(html, "<!DOCTYPE html>\n<html", 21);
    assert_non_null(strstr(html, "</body>\n</html>\n"));
    /* Exactly the report's two scripts: no string broke out of its element. */
    assert_int_equal(count_ci(html, "<script"), 2);
    assert_int_equal(count_ci(html, "</script"), 2);
    assert_int_equal(count_ci(html, "<!--"), 0);
    assert_null(strstr(html, "\xe2\x80\xa8")); /* U+2028 escaped */
    for (const unsigned char *p = (const unsigned char *)html; *p; p++)
        assert_true(*p >= 0x20 || *p == '\n' || *p == '\t'); /* no raw control bytes */
    /* Self-contained: nothing fetched. */
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "href=\"http"));
    /* The title is HTML-escaped. */
    assert_non_null(strstr(html, "<title>Kairos run: race &lt;b&gt;&amp;amp;&lt;/b&gt; seed 7 (fail)</title>"));
    free(html);
}

static void run_report_data_round_trips(void **state)
{
    (void)state;
    char hp[512];
    char *html = render_run(TRACE, hp, sizeof hp);
    json_t *d = embedded_data(html);
    /* Names keep every character; bytes written as \u00XX that form UTF-8
     * come back as the Unicode text ("café"). */
    const char *name = "say \"hi\" </script><script>alert(1)</script> <!-- \xe2\x80\xa8 caf\xc3\xa9";
    assert_true(str_index(d, name, strlen(name)) >= 0);
    /* Previews stay bytes (one code point each), NUL included. */
    assert_true(str_index(d, "\0\x01\xc3\xbf", 4) >= 0);
    assert_true(str_index(d, "invariant money: </script>\xe2\x80\xa8", 29) >= 0);
    json_t *hdr = json_object_get(d, "header");
    assert_string_equal(json_string_value(json_object_get(hdr, "name")), "race <b>&amp;</b>");
    assert_int_equal(json_integer_value(json_object_get(d, "schedule_len")), 2);
    /* Lanes: the simulator, account, ledger, t1 (from the header). */
    assert_int_equal(json_array_size(json_object_get(d, "lanes")), 4);
    assert_int_equal(json_array_size(json_object_get(d, "nodes")), 2);
    json_t *ev = json_object_get(d, "ev");
    assert_int_equal(json_array_size(json_object_get(ev, "s")), 12);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(ev, "d"), 0)), 2);
    /* The failure is the check (index 11), on ledger's lane (2). */
    assert_int_equal(json_integer_value(json_object_get(d, "fail")), 11);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(ev, "l"), 11)), 2);
    json_decref(d);
    free(html);
}

/* Issue 9, defect 6: the replay commands are the ones the program that made
 * the report gives (a runner's argv[0], --load), no temporary trace named;
 * kr__report_run, which cannot know them, offers none. */
static void run_report_replay_commands(void **state)
{
    (void)state;
    char tp[512], hp[512], err[256] = "";
    char *html = render_run(TRACE, hp, sizeof hp);
    json_t *d = embedded_data(html);
    json_t *rp = json_object_get(d, "replay");
    assert_string_equal(json_string_value(json_object_get(rp, "seed")), "");
    assert_string_equal(json_string_value(json_object_get(rp, "trace")), "");
    json_decref(d);
    free(html);

    path_in(tp, sizeof tp, "t.jsonl");
    kr__report_replay with = {"./my-runner --load libmine.so replay x.yaml --seed 7 --strategy random",
                              NULL, true};
    assert_int_equal(kr__report_run_replay(tp, hp, &with, err, sizeof err), 0);
    html = read_file(hp);
    assert_null(strstr(html, tp)); /* the temporary trace is not named */
    d = embedded_data(html);
    rp = json_object_get(d, "replay");
    assert_string_equal(json_string_value(json_object_get(rp, "seed")), with.seed_cmd);
    assert_string_equal(json_string_value(json_object_get(rp, "trace")), "");
    json_decref(d);
    free(html);

    kr__report_replay kept = {NULL, "./my-runner replay --trace 'my t.jsonl'", false};
    assert_int_equal(kr__report_run_replay(tp, hp, &kept, err, sizeof err), 0);
    html = read_file(hp);
    d = embedded_data(html);
    rp = json_object_get(d, "replay");
    assert_string_equal(json_string_value(json_object_get(rp, "seed")), "");
    assert_string_equal(json_string_value(json_object_get(rp, "trace")), kept.trace_cmd);
    assert_string_equal(json_string_value(json_object_get(d, "trace")), tp);
    json_decref(d);
    free(html);
}

static void run_report_arrows_and_faults(void **state)
{
    (void)state;
    char hp[512];
    char *html = render_run(TRACE, hp, sizeof hp);
    json_t *d = embedded_data(html);
    json_t *ar = json_object_get(d, "ar");
    /* send->deliver (net), ledger->account (local, from ledger's init),
     * a drop at send (stub, no source event). The deliver's message adds
     * no second arrow. */
    static const long want[3][5] = {{1, 2, 3, 1, 0}, {0, 4, 2, 1, 3}, {-1, 6, 3, 1, 2}};
    static const char *const cols[] = {"a", "b", "la", "lb", "k"};
    assert_int_equal(json_array_size(json_object_get(ar, "a")), 3);
    for (size_t i = 0; i < 3; i++)
        for (size_t c = 0; c < 5; c++)
            assert_int_equal(json_integer_value(json_array_get(json_object_get(ar, cols[c]), i)),
                             want[i][c]);
    /* Faults: partition (named nodes) ended by heal, heal, crash of the
     * teller node ended by restart, restart. */
    json_t *f = json_object_get(d, "faults");
    assert_int_equal(json_array_size(f), 4);
    char *text = json_dumps(f, JSON_COMPACT);
    assert_string_equal(text, "[[5,7,[0,1]],[7,-1,null],[8,9,[1]],[9,-1,[1]]]");
    free(text);
    json_decref(d);
    free(html);
}

/* Issue 12's events: a power-off spans to the restart, a pause to its
 * resume, a cut (from, to) ends at the heal, a clock change is a band; the
 * disk events stay in their process' lane, named by file and range. */
static const char HARSH[] =
    HEADER
    EV(1, "write", A1, "account", "wal 0+64", "", "", "")
    EV(2, "sync", A1, "account", "wal 1 writes, 64 bytes", "", "", "")
    EV(3, "write", A1, "account", "wal 64+64", "", "", "")
    EV(4, "power-off", A1, "", "", "", "", "")
    EV(5, "write-lost", A1, "", "wal 64+64", "", "", "")
    EV(6, "restart", A1, "", "", "", "", "")
    EV(7, "pause", A2, "", "0.100000s", "", "", "")
    EV(8, "resume", A2, "", "", "", "", "")
    EV(9, "cut", A2, "", A1, "", "", "")
    EV(10, "heal", "", "", "", "", "", "")
    EV(11, "clock", A2, "", "offset +1.000000s drift +0", "", "", "")
    "{\"type\":\"result\",\"status\":\"pass\",\"steps\":11,\"time\":11000,"
    "\"hash\":\"0x2\",\"events\":11,\"probes\":{}}\n";

static void run_report_shows_power_off_pauses_cuts_clocks_and_lost_writes(void **state)
{
    (void)state;
    char hp[512];
    char *html = render_run(HARSH, hp, sizeof hp);
    json_t *d = embedded_data(html);
    json_t *f = json_object_get(d, "faults");
    char *text = json_dumps(f, JSON_COMPACT);
    /* power-off(3) ended by restart(5); restart; pause(6) ended by
     * resume(7); resume; cut(8) from teller to bank ended by heal(9);
     * heal; clock(10). */
    assert_string_equal(text, "[[3,5,[0]],[5,-1,[0]],[6,7,[1]],[7,-1,[1]],[8,9,[1,0]],"
                              "[9,-1,null],[10,-1,[1]]]");
    free(text);
    assert_true(str_index(d, "write-lost", 10) >= 0);
    assert_true(str_index(d, "wal 64+64", 9) >= 0); /* which write was lost */
    assert_non_null(strstr(html, "unsynced write lost: "));
    json_decref(d);
    free(html);
}

static void run_report_failure_without_check(void **state)
{
    (void)state;
    char hp[512];
    char *html = render_run(HEADER EV(1, "init", A1, "ledger", "", "", "", "")
                                EV(5, "timer", "", "", "", "", "", "")
                                EV(9, "timer", "", "", "", "", "", "")
                            "{\"type\":\"result\",\"status\":\"fail\",\"failure\":\"limit\","
                            "\"fail_step\":5}\n",
                            hp, sizeof hp);
    json_t *d = embedded_data(html);
    assert_int_equal(json_integer_value(json_object_get(d, "fail")), 1);
    json_decref(d);
    free(html);
}

static void run_report_errors(void **state)
{
    (void)state;
    char tp[512], hp[512], err[256];
    path_in(tp, sizeof tp, "bad.jsonl");
    path_in(hp, sizeof hp, "bad.html");
    assert_int_equal(kr__report_run(NULL, hp, err, sizeof err), KR_EINVAL);
    assert_int_equal(kr__report_run("/nonexistent/t.jsonl", hp, err, sizeof err), KR_EIO);
    assert_non_null(strstr(err, "/nonexistent/t.jsonl"));
    write_file(tp, HEADER "{\"type\":\"event\",\"kind\":\n");
    assert_int_equal(kr__report_run(tp, hp, err, sizeof err), KR_EFORMAT);
    assert_non_null(strstr(err, "bad.jsonl:2:"));
    write_file(tp, EV(1, "init", A1, "ledger", "", "", "", ""));
    assert_int_equal(kr__report_run(tp, hp, err, sizeof err), KR_EFORMAT);
    assert_non_null(strstr(err, "header"));
    write_file(tp, "");
    assert_int_equal(kr__report_run(tp, hp, err, sizeof err), KR_EFORMAT);
    assert_int_equal(access(hp, F_OK), -1); /* nothing written */
    write_file(tp, TRACE);
    assert_int_equal(kr__report_run(tp, "/nonexistent/dir/r.html", err, sizeof err), KR_EIO);
}

static const char SWEEP[] =
    "{\"type\":\"sweep\",\"format\":\"kairos-sweep\",\"version\":1,"
    "\"scenario\":\"my scenarios/it's.yaml\",\"name\":\"bank\",\"strategy\":\"pct\","
    "\"pct_depth\":3,\"seed_first\":1,\"seed_last\":6,\"jobs\":2,\"require_probes\":[]}\n"
    "{\"type\":\"seed\",\"seed\":5,\"status\":\"fail\",\"hash\":\"0x5\",\"steps\":50,"
    "\"time\":5000,\"events\":80,\"signature\":\"invariant <img src=x onerror=alert(1)>\","
    "\"failure\":\"boom </script>\",\"fail_step\":50,\"fail_time\":5000,\"wall_ns\":1000,"
    "\"probes\":{}}\n"
    "{\"type\":\"seed\",\"seed\":3,\"status\":\"fail\",\"hash\":\"0x3\",\"steps\":40,"
    "\"time\":4000,\"events\":60,\"signature\":\"invariant <img src=x onerror=alert(1)>\","
    "\"failure\":\"boom\",\"fail_step\":33,\"fail_time\":4000,\"wall_ns\":1000,\"probes\":{}}\n"
    "{\"type\":\"seed\",\"seed\":1,\"status\":\"pass\",\"hash\":\"0x1\",\"steps\":10,"
    "\"time\":1000,\"events\":20,\"signature\":\"\",\"failure\":\"\",\"fail_step\":0,"
    "\"fail_time\":0,\"wall_ns\":1000,\"probes\":{\"p\":1}}\n"
    "{\"type\":\"seed\",\"seed\":2,\"status\":\"pass\",\"hash\":\"0x2\",\"steps\":20,"
    "\"time\":2000,\"events\":30,\"signature\":\"\",\"failure\":\"\",\"fail_step\":0,"
    "\"fail_time\":0,\"wall_ns\":1000,\"probes\":{}}\n"
    "{\"type\":\"seed\",\"seed\":4,\"status\":\"fail\",\"hash\":\"0x4\",\"steps\":30,"
    "\"time\":3000,\"events\":40,\"signature\":\"liveness settles\",\"failure\":\"late\","
    "\"fail_step\":30,\"fail_time\":3000,\"wall_ns\":1000,\"probes\":{}}\n"
    "{\"type\":\"summary\",\"status\":\"fail\",\"seeds\":5,\"pass\":2,\"fail\":3,\"error\":0,"
    "\"wall_ns\":2000000000,\"stopped_early\":false,"
    "\"probes\":{\"p\":{\"hits\":1,\"seeds\":1}},\"missing_probes\":[\"never-hit\"]}\n";

static void sweep_report(void **state)
{
    (void)state;
    char sp[512], hp[512], err[256] = "";
    path_in(sp, sizeof sp, "s.jsonl");
    path_in(hp, sizeof hp, "s.html");
    write_file(sp, SWEEP);
    /* The run reports `kairos sweep --report` writes next to it; seed 4's is
     * missing (say its run crashed): named, not linked. */
    char run3[512], run4[512];
    path_in(run3, sizeof run3, "run-seed-3.html");
    path_in(run4, sizeof run4, "run-seed-4.html");
    write_file(run3, "<!DOCTYPE html>\n");
    unlink(run4);
    int rc = kr__report_sweep(sp, hp, err, sizeof err);
    if (rc)
        fail_msg("kr__report_sweep: %d %s", rc, err);
    char *html = read_file(hp);
    assert_memory_equal(html, "<!DOCTYPE html>", 15);
    assert_non_null(strstr(html, "</html>\n"));
    assert_int_equal(count_ci(html, "<script"), 0);
    assert_int_equal(count_ci(html, "<img"), 0);
    assert_non_null(strstr(html, "invariant &lt;img src=x onerror=alert(1)&gt;"));
    /* Groups: the biggest first, its lowest failing seed linked and replayed. */
    const char *g1 = strstr(html, "href=\"run-seed-3.html\"");
    const char *g2 = strstr(html, "<td>seed 4<div");
    assert_non_null(g1);
    assert_non_null(g2);
    assert_true(g1 < g2);
    assert_null(strstr(html, "href=\"run-seed-4.html\""));
    assert_null(strstr(html, "run-seed-5.html"));
    assert_non_null(strstr(html, "kairos replay &#39;my scenarios/it&#39;\\&#39;&#39;s.yaml&#39; --seed 3"));
    assert_non_null(strstr(html, "<td class=\"count\">2</td>"));
    assert_non_null(strstr(html, "id=\"stat-seeds\"><div class=\"v\">5<"));
    assert_non_null(strstr(html, "id=\"stat-rate\"><div class=\"v\">2.5<")); /* 5 seeds in 2 s */
    assert_non_null(strstr(html, "id=\"hist-steps\""));
    assert_non_null(strstr(html, "id=\"hist-time\""));
    assert_non_null(strstr(html, "never-hit"));
    assert_non_null(strstr(html, "boom"));
    assert_null(strstr(html, "boom </script>"));
    free(html);
    /* Without a summary line: counted from the seeds, marked incomplete. */
    write_file(sp, "{\"type\":\"sweep\",\"scenario\":\"s.yaml\"}\n"
                   "{\"type\":\"seed\",\"seed\":1,\"status\":\"pass\",\"steps\":3,\"time\":9}\n");
    assert_int_equal(kr__report_sweep(sp, hp, err, sizeof err), 0);
    html = read_file(hp);
    assert_non_null(strstr(html, "did not finish"));
    assert_non_null(strstr(html, "id=\"no-failures\""));
    assert_null(strstr(html, "Faults injected")); /* none struck */
    free(html);
    /* The simulator's faults of each seed, totalled: events and seeds. */
    write_file(sp, "{\"type\":\"sweep\",\"scenario\":\"s.yaml\"}\n"
                   "{\"type\":\"seed\",\"seed\":1,\"status\":\"pass\",\"steps\":3,\"time\":9,"
                   "\"faults\":{\"power-off\":2,\"write-lost\":3}}\n"
                   "{\"type\":\"seed\",\"seed\":2,\"status\":\"pass\",\"steps\":3,\"time\":9,"
                   "\"faults\":{\"power-off\":1}}\n");
    assert_int_equal(kr__report_sweep(sp, hp, err, sizeof err), 0);
    html = read_file(hp);
    assert_non_null(strstr(html, "Faults injected"));
    assert_non_null(strstr(html, "<tr><td>power-off</td><td>3</td><td>2</td></tr>"));
    assert_non_null(strstr(html, "<tr><td>write-lost</td><td>3</td><td>1</td></tr>"));
    free(html);
    write_file(sp, "{\"type\":\"seed\",\"seed\":1}\n");
    assert_int_equal(kr__report_sweep(sp, hp, err, sizeof err), KR_EFORMAT);
    assert_int_equal(kr__report_sweep("/nonexistent.jsonl", hp, err, sizeof err), KR_EIO);
}

/* The report embeds assets/ as they are now: the build generates the C
 * strings from them (embed.sh), so an edited asset is in the next report. */
static void assets_are_embedded_from_the_tree(void **state)
{
    (void)state;
    static const char *const assets[] = {"run.css", "run.js"};
    char hp[512];
    char *html = render_run(TRACE, hp, sizeof hp);
    for (size_t i = 0; i < sizeof assets / sizeof *assets; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", KT_REPORT_ASSETS, assets[i]);
        char *text = read_file(path);
        /* Every non-empty line of the asset, in the page. */
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
            if (!strstr(html, line))
                print_error("%s: line not in the report: %s\n", assets[i], line);
            assert_non_null(strstr(html, line));
        }
        free(text);
    }
    free(html);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(run_report_is_one_safe_page),
        cmocka_unit_test(run_report_data_round_trips),
        cmocka_unit_test(run_report_replay_commands),
        cmocka_unit_test(run_report_arrows_and_faults),
        cmocka_unit_test(run_report_shows_power_off_pauses_cuts_clocks_and_lost_writes),
        cmocka_unit_test(run_report_failure_without_check),
        cmocka_unit_test(run_report_errors),
        cmocka_unit_test(sweep_report),
        cmocka_unit_test(assets_are_embedded_from_the_tree),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
