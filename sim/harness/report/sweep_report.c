/* The sweep report: a static HTML summary of a sweep's JSON Lines
 * (sim/TRACE.md, "Sweep summaries"), with inline SVG histograms. */
#include "report_internal.h"

#include "grow.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct sw_seed {
    uint64_t seed, steps, fail_step;
    int64_t time, wall_ns;
    int status; /* 0 pass, 1 fail, 2 error */
    json_t *line; /* kept for strings */
} sw_seed;

typedef struct sw_group {
    const char *signature;
    size_t count, cap_members;
    size_t first; /* index of the lowest failing seed */
    size_t *members;
} sw_group;

typedef struct sweep {
    json_t *header, *summary;
    sw_seed *seeds;
    size_t n, cap;
    sw_group *groups;
    size_t n_groups, cap_groups;
    const char *html_path; /* the report being written */
} sweep;

static int status_code(const char *s)
{
    return !s || !strcmp(s, "pass") ? 0 : !strcmp(s, "fail") ? 1 : 2;
}

static int64_t ival(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v)
           : json_is_real(v)  ? (int64_t)json_real_value(v)
                              : 0;
}

static const char *sval(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int add_seed(sweep *w, json_t *o)
{
    sw_seed *s = kr__sc_grow(w->seeds, &w->cap, w->n, sizeof *s, 256);
    if (!s)
        return KR_ENOMEM;
    w->seeds = s;
    w->seeds[w->n++] = (sw_seed){.seed = (uint64_t)ival(o, "seed"),
                                 .steps = (uint64_t)ival(o, "steps"),
                                 .fail_step = (uint64_t)ival(o, "fail_step"),
                                 .time = ival(o, "time"),
                                 .wall_ns = ival(o, "wall_ns"),
                                 .status = status_code(json_string_value(
                                     json_object_get(o, "status"))),
                                 .line = json_incref(o)};
    return 0;
}

static int load_line(sweep *w, json_t *o, const char *path, long line, char *err, size_t n)
{
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!type) {
        kr__rp_err(err, n, "%s:%ld: a line without a \"type\"", path, line);
        return KR_EFORMAT;
    }
    if (!strcmp(type, "sweep")) {
        json_decref(w->header);
        w->header = json_incref(o);
    } else if (!strcmp(type, "seed")) {
        return add_seed(w, o);
    } else if (!strcmp(type, "summary")) {
        json_decref(w->summary);
        w->summary = json_incref(o);
    }
    return 0;
}

static int load(sweep *w, const char *path, char *err, size_t n)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        kr__rp_err(err, n, "%s: %s", path, strerror(errno));
        return KR_EIO;
    }
    char *buf = NULL;
    size_t cap = 0;
    long len, line = 0;
    int rc = 0;
    while (!rc && (len = kr__rp_getline(in, &buf, &cap)) >= 0) {
        line++;
        if (len == 0)
            continue;
        json_error_t je;
        json_t *o = json_loadb(buf, (size_t)len, 0, &je);
        if (!json_is_object(o)) {
            kr__rp_err(err, n, "%s:%ld: not a JSON object: %s", path, line, o ? "" : je.text);
            rc = KR_EFORMAT;
        } else {
            rc = load_line(w, o, path, line, err, n);
        }
        json_decref(o);
    }
    if (!rc && len < -1) {
        kr__rp_err(err, n, "%s: out of memory", path);
        rc = KR_ENOMEM;
    }
    free(buf);
    fclose(in);
    if (!rc && !w->header) {
        kr__rp_err(err, n, "%s: no sweep header line (not a kairos sweep summary?)", path);
        rc = KR_EFORMAT;
    }
    return rc;
}

static int by_seed(const void *a, const void *b)
{
    const sw_seed *x = a, *y = b;
    return x->seed < y->seed ? -1 : x->seed > y->seed;
}

static int by_count(const void *a, const void *b)
{
    const sw_group *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->signature, y->signature);
}

/* Failing and erroring seeds grouped by signature, biggest group first. */
static int group(sweep *w)
{
    if (w->n > 1)
        qsort(w->seeds, w->n, sizeof *w->seeds, by_seed);
    for (size_t i = 0; i < w->n; i++) {
        if (!w->seeds[i].status)
            continue;
        const char *sig = sval(w->seeds[i].line, "signature");
        if (!*sig)
            sig = w->seeds[i].status == 2 ? "error" : "failure";
        size_t g = 0;
        while (g < w->n_groups && strcmp(w->groups[g].signature, sig) != 0)
            g++;
        if (g == w->n_groups) {
            sw_group *ng = kr__sc_grow(w->groups, &w->cap_groups, g, sizeof *ng, 8);
            if (!ng)
                return KR_ENOMEM;
            w->groups = ng;
            w->groups[g] = (sw_group){.signature = sig, .first = i};
            w->n_groups++;
        }
        sw_group *gr = &w->groups[g];
        size_t *m = kr__sc_grow(gr->members, &gr->cap_members, gr->count, sizeof *m, 16);
        if (!m)
            return KR_ENOMEM;
        gr->members = m;
        gr->members[gr->count++] = i;
    }
    if (w->n_groups > 1) /* qsort's array may not be NULL, even for 0 items */
        qsort(w->groups, w->n_groups, sizeof *w->groups, by_count);
    return 0;
}

static void sweep_free(sweep *w)
{
    for (size_t i = 0; i < w->n; i++)
        json_decref(w->seeds[i].line);
    for (size_t i = 0; i < w->n_groups; i++)
        free(w->groups[i].members);
    free(w->groups);
    free(w->seeds);
    json_decref(w->header);
    json_decref(w->summary);
}

/* ---- HTML --------------------------------------------------------------------- */

static void h(FILE *out, const char *s) { kr__rp_html(out, s, strlen(s)); }

/* A value from a trace string (non-ASCII bytes as \u00XX) for HTML. */
static void hj(FILE *out, json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v))
        return;
    size_t len = json_string_length(v);
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, json_string_value(v), len);
    kr__rp_html(out, copy, kr__rp_unlatin(copy, len));
    free(copy);
}

/* A POSIX-shell-safe word for the replay command. */
static void shell_word(FILE *out, const char *s)
{
    bool plain = *s != '\0';
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+:=@,",
                    *p))
            plain = false;
    if (plain) {
        h(out, s);
        return;
    }
    fputs("&#39;", out);
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            fputs("&#39;\\&#39;&#39;", out);
        else
            kr__rp_html(out, p, 1);
    }
    fputs("&#39;", out);
}

#define HBINS 24

typedef struct hist {
    double lo, hi;
    size_t pass[HBINS], fail[HBINS], max;
} hist;

static double seed_value(const sw_seed *s, bool time) { return time ? (double)s->time : (double)s->steps; }

static void hist_fill(const sweep *w, bool time, hist *hs)
{
    memset(hs, 0, sizeof *hs);
    for (size_t i = 0; i < w->n; i++) {
        double v = seed_value(&w->seeds[i], time);
        if (i == 0 || v < hs->lo)
            hs->lo = v;
        if (i == 0 || v > hs->hi)
            hs->hi = v;
    }
    double span = hs->hi - hs->lo;
    for (size_t i = 0; i < w->n; i++) {
        double v = seed_value(&w->seeds[i], time);
        size_t b = span > 0 ? (size_t)((v - hs->lo) / span * HBINS) : 0;
        if (b >= HBINS)
            b = HBINS - 1;
        if (w->seeds[i].status)
            hs->fail[b]++;
        else
            hs->pass[b]++;
        if (hs->pass[b] + hs->fail[b] > hs->max)
            hs->max = hs->pass[b] + hs->fail[b];
    }
}

static void axis_label(FILE *out, double v, bool time)
{
    char buf[32];
    if (time)
        kr__rp_fmt_ns((int64_t)v, buf, sizeof buf);
    else
        snprintf(buf, sizeof buf, "%.0f", v);
    h(out, buf);
}

static void histogram(FILE *out, const sweep *w, bool time, const char *id, const char *title)
{
    hist hs;
    hist_fill(w, time, &hs);
    const int W = 520, H = 200, L = 44, B = 28, T = 10;
    double bw = (double)(W - L - 8) / HBINS;
    fprintf(out, "<figure class=\"hist\"><figcaption>%s</figcaption>\n", title);
    fprintf(out, "<svg id=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n",
            id, W, H, W, H);
    fprintf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", L, H - B,
            W - 8, H - B);
    fprintf(out, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%zu</text>\n",
            L - 6, T + 8, hs.max);
    fprintf(out, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", L - 6,
            H - B);
    for (size_t b = 0; b < HBINS && hs.max; b++) {
        double scale = (double)(H - B - T) / (double)hs.max;
        double x = L + b * bw + 1, hp = hs.pass[b] * scale, hf = hs.fail[b] * scale;
        double lo = hs.lo + (hs.hi - hs.lo) * b / HBINS, hi = hs.lo + (hs.hi - hs.lo) * (b + 1) / HBINS;
        fprintf(out, "<g class=\"bin\"><title>");
        axis_label(out, lo, time);
        fputs(" – ", out);
        axis_label(out, hi, time);
        fprintf(out, ": %zu passed, %zu failed</title>", hs.pass[b], hs.fail[b]);
        fprintf(out, "<rect class=\"pass\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                x, H - B - hp, bw - 2, hp);
        fprintf(out, "<rect class=\"fail\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>",
                x, H - B - hp - hf, bw - 2, hf);
        fputs("</g>\n", out);
    }
    fprintf(out, "<text class=\"tick\" x=\"%d\" y=\"%d\">", L, H - 8);
    axis_label(out, hs.lo, time);
    fprintf(out, "</text><text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", W - 8,
            H - 8);
    axis_label(out, hs.hi, time);
    fputs("</text></svg></figure>\n", out);
}

typedef struct counts {
    size_t seeds, pass, fail, error;
} counts;

static counts count(const sweep *w)
{
    counts c = {.seeds = w->n};
    for (size_t i = 0; i < w->n; i++) {
        if (w->seeds[i].status == 0)
            c.pass++;
        else if (w->seeds[i].status == 1)
            c.fail++;
        else
            c.error++;
    }
    return c;
}

static void stat_box(FILE *out, const char *id, const char *label, const char *value,
                     const char *cls)
{
    fprintf(out, "<div class=\"stat %s\" id=\"%s\"><div class=\"v\">", cls, id);
    h(out, value);
    fputs("</div><div class=\"l\">", out);
    h(out, label);
    fputs("</div></div>\n", out);
}

static void write_stats(FILE *out, const sweep *w)
{
    counts c = count(w);
    char buf[64];
    fputs("<section class=\"stats\">\n", out);
    snprintf(buf, sizeof buf, "%zu", c.seeds);
    stat_box(out, "stat-seeds", "seeds run", buf, "");
    snprintf(buf, sizeof buf, "%zu", c.pass);
    stat_box(out, "stat-pass", "passed", buf, "ok");
    snprintf(buf, sizeof buf, "%zu", c.fail + c.error);
    stat_box(out, "stat-fail", c.error ? "failed / errors" : "failed", buf,
             c.fail + c.error ? "bad" : "ok");
    snprintf(buf, sizeof buf, "%zu", w->n_groups);
    stat_box(out, "stat-groups", "failure signatures", buf, w->n_groups ? "bad" : "ok");
    int64_t wall = ival(w->summary, "wall_ns");
    if (wall > 0)
        snprintf(buf, sizeof buf, "%.1f", (double)c.seeds * 1e9 / (double)wall);
    else
        snprintf(buf, sizeof buf, "n/a");
    stat_box(out, "stat-rate", "seeds/s", buf, "");
    fputs("</section>\n", out);
}

static void write_group(FILE *out, const sweep *w, const sw_group *g, size_t idx)
{
    const sw_seed *first = &w->seeds[g->first];
    const char *scenario = sval(w->header, "scenario");
    fprintf(out, "<tr class=\"group\" data-signature-index=\"%zu\"><td class=\"count\">%zu</td><td>"
                 "<div class=\"sig\">",
            idx, g->count);
    h(out, g->signature);
    fputs("</div><div class=\"msg\">", out);
    hj(out, first->line, "failure");
    /* The run report `kairos sweep --report` writes next to this one: linked
     * only when it is there (a seed that crashed the process has none). */
    char run[4200];
    const char *slash = strrchr(w->html_path, '/');
    snprintf(run, sizeof run, "%.*srun-seed-%llu.html", slash ? (int)(slash - w->html_path) + 1 : 0,
             w->html_path, (unsigned long long)first->seed);
    if (access(run, R_OK) == 0)
        fprintf(out, "</div></td><td><a class=\"run-link\" href=\"run-seed-%llu.html\">seed %llu</a>",
                (unsigned long long)first->seed, (unsigned long long)first->seed);
    else
        fprintf(out, "</div></td><td>seed %llu", (unsigned long long)first->seed);
    fprintf(out, "<div class=\"sub\">step %llu</div></td><td><code class=\"replay\">kairos replay ",
            (unsigned long long)first->fail_step);
    shell_word(out, *scenario ? scenario : "SCENARIO");
    fprintf(out, " --seed %llu</code></td><td class=\"others\">", (unsigned long long)first->seed);
    for (size_t i = 1; i < g->count && i <= 20; i++)
        fprintf(out, "%s%llu", i > 1 ? ", " : "", (unsigned long long)w->seeds[g->members[i]].seed);
    if (g->count > 21)
        fprintf(out, " … (%zu more)", g->count - 21);
    fputs("</td></tr>\n", out);
}

static void write_groups(FILE *out, const sweep *w)
{
    fputs("<section><h2>Failures by signature</h2>\n", out);
    if (!w->n_groups) {
        fputs("<p class=\"none\" id=\"no-failures\">No seed failed.</p></section>\n", out);
        return;
    }
    fputs("<table id=\"groups\"><thead><tr><th>seeds</th><th>signature / first failure</th>"
          "<th>first seed</th><th>replay</th><th>other seeds</th></tr></thead><tbody>\n",
          out);
    for (size_t i = 0; i < w->n_groups; i++)
        write_group(out, w, &w->groups[i], i);
    fputs("</tbody></table></section>\n", out);
}

static void write_probes(FILE *out, const sweep *w)
{
    json_t *probes = json_object_get(w->summary, "probes");
    json_t *missing = json_object_get(w->summary, "missing_probes");
    if (!json_object_size(probes) && !json_array_size(missing))
        return;
    fputs("<section><h2>Probes</h2><table id=\"probes\"><thead><tr><th>probe</th><th>hits</th>"
          "<th>seeds</th></tr></thead><tbody>\n",
          out);
    const char *name;
    json_t *v;
    json_object_foreach(probes, name, v)
    {
        fputs("<tr><td>", out);
        h(out, name);
        fprintf(out, "</td><td>%lld</td><td>%lld</td></tr>\n", (long long)ival(v, "hits"),
                (long long)ival(v, "seeds"));
    }
    size_t i;
    json_array_foreach(missing, i, v)
    {
        fputs("<tr class=\"missing\"><td>", out);
        h(out, json_string_value(v) ? json_string_value(v) : "");
        fputs("</td><td>0</td><td>required, never hit</td></tr>\n", out);
    }
    fputs("</tbody></table></section>\n", out);
}

/* The simulator's faults that struck (each seed line's "faults"): how
 * often and in how many seeds, in the order they first appear. */
static void write_faults(FILE *out, const sweep *w)
{
    json_t *total = json_object(), *seeds = json_object();
    for (size_t i = 0; total && seeds && i < w->n; i++) {
        const char *kind;
        json_t *v;
        json_object_foreach(json_object_get(w->seeds[i].line, "faults"), kind, v)
        {
            json_int_t hits = json_integer_value(v);
            json_object_set_new(total, kind,
                                json_integer(json_integer_value(json_object_get(total, kind)) + hits));
            json_object_set_new(seeds, kind,
                                json_integer(json_integer_value(json_object_get(seeds, kind)) +
                                             (hits > 0)));
        }
    }
    if (json_object_size(total)) {
        fputs("<section><h2>Faults injected</h2><table id=\"faults\"><thead><tr><th>fault</th>"
              "<th>events</th><th>seeds</th></tr></thead><tbody>\n",
              out);
        const char *kind;
        json_t *v;
        json_object_foreach(total, kind, v)
        {
            fputs("<tr><td>", out);
            h(out, kind);
            fprintf(out, "</td><td>%lld</td><td>%lld</td></tr>\n", (long long)json_integer_value(v),
                    (long long)json_integer_value(json_object_get(seeds, kind)));
        }
        fputs("</tbody></table></section>\n", out);
    }
    json_decref(total);
    json_decref(seeds);
}

static void write_head(FILE *out, const sweep *w)
{
    counts c = count(w);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"generator\" content=\"kairos report\">\n<title>Kairos sweep: ",
          out);
    hj(out, w->header, "name");
    fprintf(out, " (%zu seeds, %zu failed)</title>\n<style>\n", c.seeds, c.fail + c.error);
    fputs(kr__rp_sweep_css, out);
    fputs("</style>\n</head>\n<body>\n<header><h1>Sweep <span class=\"name\">", out);
    hj(out, w->header, "name");
    fputs("</span></h1><div class=\"meta\">", out);
    hj(out, w->header, "scenario");
    fprintf(out, " · seeds %lld–%lld · strategy ", (long long)ival(w->header, "seed_first"),
            (long long)ival(w->header, "seed_last"));
    hj(out, w->header, "strategy");
    const char *st = w->summary ? sval(w->summary, "status") : "incomplete";
    if (!*st)
        st = c.fail + c.error ? "fail" : "pass";
    fprintf(out, " · <span class=\"status %s\" id=\"sweep-status\">", st);
    h(out, st);
    fputs("</span>", out);
    if (!w->summary)
        fputs(" <span class=\"warn\">(no summary line: the sweep did not finish)</span>", out);
    if (json_is_true(json_object_get(w->summary, "stopped_early")))
        fputs(" <span class=\"warn\">(stopped at the first failure)</span>", out);
    fputs("</div></header>\n<main>\n", out);
}

static void write_page(FILE *out, const sweep *w)
{
    write_head(out, w);
    write_stats(out, w);
    write_groups(out, w);
    write_probes(out, w);
    write_faults(out, w);
    if (w->n) {
        fputs("<section><h2>Run lengths</h2><div class=\"hists\">\n", out);
        histogram(out, w, false, "hist-steps", "steps per seed");
        histogram(out, w, true, "hist-time", "virtual time per seed");
        fputs("</div><p class=\"legend\"><span class=\"sw pass\"></span> passed "
              "<span class=\"sw fail\"></span> failed</p></section>\n",
              out);
    }
    fputs("</main>\n</body>\n</html>\n", out);
}

int kr__report_sweep(const char *sweep_jsonl_path, const char *html_path, char *err,
                     size_t err_len)
{
    if (!sweep_jsonl_path || !html_path) {
        kr__rp_err(err, err_len, "report: no sweep summary or output path");
        return KR_EINVAL;
    }
    sweep w = {0};
    w.html_path = html_path;
    int rc = load(&w, sweep_jsonl_path, err, err_len);
    if (!rc && group(&w)) {
        kr__rp_err(err, err_len, "%s: out of memory", sweep_jsonl_path);
        rc = KR_ENOMEM;
    }
    rp_file o;
    if (!rc)
        rc = kr__rp_create(&o, html_path, err, err_len);
    if (!rc) {
        write_page(o.f, &w);
        rc = kr__rp_commit(&o, true, err, err_len);
    }
    sweep_free(&w);
    return rc;
}
