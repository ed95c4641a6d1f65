/* Small helpers of the kairos command: ranges and shards (numbers as
 * kairos/parse.h reads them), time
 * formatting, shell-quoted replay commands, error messages. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cli.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

bool cli_parse_range(const char *text, uint64_t *a, uint64_t *b)
{
    const char *dots = strstr(text, "..");
    if (!dots)
        return kr_parse_u64(text, a) == 0 && (*b = *a, true);
    char first[32];
    size_t len = (size_t)(dots - text);
    if (len == 0 || len >= sizeof first)
        return false;
    memcpy(first, text, len);
    first[len] = '\0';
    if (kr_parse_u64(first, a) != 0 || kr_parse_u64(dots + 2, b) != 0)
        return false;
    /* A..B is inclusive; the full 0..2^64-1 range would not count. */
    return *a <= *b && !(*a == 0 && *b == UINT64_MAX);
}

bool cli_parse_shard(const char *text, uint64_t *k, uint64_t *n)
{
    const char *slash = strchr(text, '/');
    char first[32];
    size_t len = slash ? (size_t)(slash - text) : 0;
    if (!slash || len == 0 || len >= sizeof first)
        return false;
    memcpy(first, text, len);
    first[len] = '\0';
    return kr_parse_u64(first, k) == 0 && kr_parse_u64(slash + 1, n) == 0 && *n >= 1 &&
           *k >= 1 && *k <= *n;
}

const char *cli_fmt_time(kr_duration ns, char *buf, size_t n)
{
    if (ns >= KR_SEC(1))
        snprintf(buf, n, "%.3fs", (double)ns / 1e9);
    else if (ns >= KR_MSEC(1))
        snprintf(buf, n, "%.3fms", (double)ns / 1e6);
    else if (ns >= KR_USEC(1))
        snprintf(buf, n, "%.3fus", (double)ns / 1e3);
    else
        snprintf(buf, n, "%" PRId64 "ns", (int64_t)ns);
    return buf;
}

static bool shell_safe(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@,+-%",
                    *s))
            return false;
    return true;
}

static void append(char *buf, size_t n, const char *s)
{
    size_t used = strlen(buf);
    if (used < n)
        snprintf(buf + used, n - used, "%s", s);
}

void cli_append_arg(char *buf, size_t n, const char *arg)
{
    if (buf[0])
        append(buf, n, " ");
    if (shell_safe(arg)) {
        append(buf, n, arg);
        return;
    }
    append(buf, n, "'");
    for (const char *p = arg; *p; p++) {
        char c[2] = {*p, '\0'};
        append(buf, n, *p == '\'' ? "'\\''" : c);
    }
    append(buf, n, "'");
}

const char *cli_strategy(const cli_opts *o, const scenario *s)
{
    if (o->strategy)
        return o->strategy;
    return s->strategy[0] ? s->strategy : "random";
}

int cli_pct_depth(const cli_opts *o, const scenario *s)
{
    if (o->pct_depth > 0)
        return o->pct_depth;
    return s->pct_depth > 0 ? s->pct_depth : 3;
}

static void replay_prefix(const cli_opts *o, char *buf, size_t n)
{
    buf[0] = '\0';
    cli_append_arg(buf, n, o->prog);
    for (size_t i = 0; i < o->n_loads; i++) {
        cli_append_arg(buf, n, "--load");
        cli_append_arg(buf, n, o->loads[i]);
    }
    cli_append_arg(buf, n, "replay");
}

void cli_replay_seed_cmd(const cli_opts *o, const scenario *s, uint64_t seed, char *buf,
                         size_t n)
{
    char num[32];
    replay_prefix(o, buf, n);
    cli_append_arg(buf, n, o->file);
    snprintf(num, sizeof num, "%" PRIu64, seed);
    cli_append_arg(buf, n, "--seed");
    cli_append_arg(buf, n, num);
    const char *strategy = cli_strategy(o, s);
    cli_append_arg(buf, n, "--strategy");
    cli_append_arg(buf, n, strategy);
    if (strcmp(strategy, "pct") == 0) {
        snprintf(num, sizeof num, "%d", cli_pct_depth(o, s));
        cli_append_arg(buf, n, "--pct-depth");
        cli_append_arg(buf, n, num);
        uint64_t k = cli_pct_steps(o, s);
        if (k) {
            snprintf(num, sizeof num, "%" PRIu64, k);
            cli_append_arg(buf, n, "--pct-steps");
            cli_append_arg(buf, n, num);
        }
    }
    if (o->swarm)
        cli_append_arg(buf, n, "--swarm");
}

void cli_replay_trace_cmd(const cli_opts *o, const char *file, const char *trace, char *buf,
                          size_t n)
{
    replay_prefix(o, buf, n);
    if (file)
        cli_append_arg(buf, n, file);
    cli_append_arg(buf, n, "--trace");
    cli_append_arg(buf, n, trace);
}

static void vmessage(const cli_opts *o, const char *fmt, va_list ap)
{
    fflush(stdout);
    fprintf(stderr, "kairos%s%s: ", o->cmd ? " " : "", o->cmd ? o->cmd : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_error(const cli_opts *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(o, fmt, ap);
    va_end(ap);
    return CLI_BAD_INPUT;
}

int cli_usage_error(const cli_opts *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(o, fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s%s%s --help'.\n", o->prog, o->cmd ? " " : "", o->cmd ? o->cmd : "");
    return CLI_BAD_INPUT;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
