/* Run traces as JSON Lines (sim/TRACE.md): written by hand because it is
 * the hot path of a traced run, read back with jansson. */
#include "scenario_internal.h"
#include "out_file.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sc_trace {
    FILE *f; /* out.f */
    kr__out out;
};

void kr__json_escape(FILE *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
        } else if (c == '\n') {
            fputs("\\n", out);
        } else if (c < 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&') {
            /* Control and non-ASCII bytes, and HTML's specials so a trace
             * can be embedded in a <script> block verbatim. */
            fputs("\\u00", out);
            fputc(hex[c >> 4], out);
            fputc(hex[c & 15], out);
        } else {
            fputc(c, out);
        }
    }
    fputc('"', out);
}

static void json_str(FILE *out, const char *s) { kr__json_escape(out, s ? s : "", s ? strlen(s) : 0); }

static void json_pid(FILE *out, kr_pid pid)
{
    char text[KR_PID_STRLEN_MAX] = "";
    if (!kr_pid_is_none(pid))
        kr_pid_format(pid, text, sizeof text);
    json_str(out, text);
}

/* ,"key":[[index,time],...] for the entries whose time differs from
 * `as_written` (nothing when none does). */
static void write_moves(FILE *f, const char *key, const kr_duration *at,
                        const kr_duration *as_written, const bool *skip, size_t n)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (at[i] == as_written[i] || (skip && skip[i]))
            continue;
        if (first)
            fprintf(f, ",\"%s\":[", key);
        fprintf(f, "%s[%zu,%" PRId64 "]", first ? "" : ",", i, at[i]);
        first = false;
    }
    if (!first)
        fputc(']', f);
}

/* Shrink's other workload edits (sc_options), so that `replay --trace`
 * runs the shrunk workload by itself. */
static void write_edits(FILE *f, const scenario *s, const sc_options *o)
{
    if (o->action_at) {
        kr_duration *written = malloc((s->n_actions ? s->n_actions : 1) * sizeof *written);
        for (size_t i = 0; written && i < s->n_actions; i++)
            written[i] = s->actions[i].at;
        if (written)
            write_moves(f, "action_at", o->action_at, written, o->skip_actions, s->n_actions);
        free(written);
    }
    /* With every random fault left out, their edits do not matter. */
    if (o->skip_random && o->n_random && !o->no_random_faults) {
        fputs(",\"skip_random\":[", f);
        bool first = true;
        for (size_t i = 0; i < o->n_random; i++) {
            if (o->skip_random[i]) {
                fprintf(f, first ? "%zu" : ",%zu", i);
                first = false;
            }
        }
        fputc(']', f);
    }
    if (o->random_at && o->n_random && !o->no_random_faults) {
        sc_planned *plan = calloc(o->n_random, sizeof *plan);
        kr_duration *drawn = calloc(o->n_random, sizeof *drawn);
        size_t n = plan && drawn ? kr__sc_random_plan(s, o, plan, o->n_random) : 0;
        for (size_t i = 0; i < o->n_random; i++)
            drawn[i] = i < n ? plan[i].at : -1;
        if (plan && drawn)
            write_moves(f, "random_at", o->random_at, drawn, o->skip_random, o->n_random);
        free(plan);
        free(drawn);
    }
    if (o->rates_scaled)
        fprintf(f, ",\"drop_percent\":%d,\"duplicate_percent\":%d", o->drop_percent,
                o->duplicate_percent);
    for (size_t i = 0; i < o->n_message_faults; i++)
        fprintf(f, "%s[%" PRIu64 ",\"%s\"]", i ? "," : ",\"message_faults\":[",
                o->message_faults[i].send, kr__sc_message_fault_name(o->message_faults[i].kind));
    if (o->n_message_faults)
        fputc(']', f);
}

sc_trace *kr__sc_trace_open(const char *path, const scenario *s, const sc_options *o, char *err,
                           size_t err_len)
{
    sc_trace *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_len, "%s: out of memory", path);
        return NULL;
    }
    if (kr__out_open(&t->out, path, err, err_len) != 0) {
        free(t);
        return NULL;
    }
    t->f = t->out.f;
    FILE *f = t->f;
    fputs("{\"type\":\"header\",\"format\":\"kairos-trace\",\"version\":1,\"scenario\":", f);
    json_str(f, s->file);
    /* The absolute path too, so `replay --trace` finds the scenario from
     * any working directory. */
    char *abs = realpath(s->file, NULL);
    if (abs) {
        fputs(",\"scenario_path\":", f);
        json_str(f, abs);
        free(abs);
    }
    fputs(",\"name\":", f);
    json_str(f, s->name);
    fprintf(f, ",\"seed\":%" PRIu64 ",\"strategy\":", o->seed);
    json_str(f, o->strategy ? o->strategy : s->strategy);
    fprintf(f, ",\"pct_depth\":%d,\"pct_steps\":%" PRIu64,
            o->pct_depth ? o->pct_depth : s->pct_depth, o->pct_steps ? o->pct_steps : s->pct_steps);
    if (o->workload_percent > 0 && o->workload_percent < 100)
        fprintf(f, ",\"workload_percent\":%d", o->workload_percent);
    if (o->swarm || s->swarm) { /* the seed's drawn configuration, for the reader */
        sc_swarm w;
        kr__sc_swarm_draw(s, o->seed, &w);
        fputs(",\"swarm\":", f);
        kr__sc_swarm_json(f, &w);
    }
    fputs(",\"nodes\":[", f);
    for (size_t i = 0; i < s->n_nodes; i++) {
        fputs(i ? ",{\"name\":" : "{\"name\":", f);
        json_str(f, s->nodes[i].name);
        fputs(",\"address\":", f);
        json_str(f, s->nodes[i].address);
        fputc('}', f);
    }
    fputs("],\"processes\":[", f);
    for (size_t i = 0; i < s->n_procs; i++) {
        fputs(i ? ",{\"id\":" : "{\"id\":", f);
        json_str(f, s->procs[i].id);
        fputs(",\"type\":", f);
        json_str(f, s->procs[i].type);
        fputs(",\"node\":", f);
        json_str(f, s->nodes[s->procs[i].node].name);
        fputc('}', f);
    }
    fputs("],\"skip_actions\":[", f);
    bool first = true;
    for (size_t i = 0; o->skip_actions && i < s->n_actions; i++) {
        if (o->skip_actions[i]) {
            fprintf(f, first ? "%zu" : ",%zu", i);
            first = false;
        }
    }
    fprintf(f, "],\"no_random_faults\":%s", o->no_random_faults ? "true" : "false");
    write_edits(f, s, o);
    fputs("}\n", f);
    return t;
}

void kr__sc_trace_event(sc_trace *t, const kr_sim_event *e)
{
    FILE *f = t->f;
    fprintf(f, "{\"type\":\"event\",\"step\":%" PRIu64 ",\"time\":%" PRId64 ",\"kind\":", e->step,
            e->time);
    json_str(f, e->kind);
    fputs(",\"node\":", f);
    json_str(f, e->node);
    fputs(",\"process\":", f);
    json_str(f, e->process);
    fputs(",\"name\":", f);
    json_str(f, e->name);
    fputs(",\"from\":", f);
    json_pid(f, e->from);
    fputs(",\"to\":", f);
    json_pid(f, e->to);
    fprintf(f, ",\"len\":%zu,\"preview\":", e->len);
    kr__json_escape(f, e->body ? e->body : "", e->body ? (e->len < 64 ? e->len : 64) : 0);
    fprintf(f, ",\"options\":%u,\"chosen\":%u}\n", e->options, e->chosen);
}

static const char *status_name(sc_status s)
{
    return s == SC_PASS ? "pass" : s == SC_FAIL ? "fail" : "error";
}

int kr__sc_trace_close(sc_trace *t, const sc_result *r, char *err, size_t err_len)
{
    FILE *f = t->f;
    fprintf(f, "{\"type\":\"result\",\"status\":\"%s\",\"failure\":", status_name(r->status));
    json_str(f, r->failure);
    fputs(",\"signature\":", f);
    json_str(f, r->signature);
    fprintf(f,
            ",\"fail_step\":%" PRIu64 ",\"fail_time\":%" PRId64 ",\"steps\":%" PRIu64
            ",\"time\":%" PRId64 ",\"hash\":\"0x%016" PRIx64 "\",\"events\":%" PRIu64
            ",\"probes\":{",
            r->fail_step, r->fail_time, r->steps, r->time, r->hash, r->events);
    for (size_t i = 0; i < r->n_probes; i++) {
        if (i)
            fputc(',', f);
        json_str(f, r->probe_names[i]);
        fprintf(f, ":%" PRIu64, r->probe_hits[i]);
    }
    fputs("}}\n{\"type\":\"schedule\",\"decisions\":[", f);
    for (size_t i = 0; i < r->n_decisions; i++)
        fprintf(f, i ? ",[%u,%u]" : "[%u,%u]", r->decisions[i].options, r->decisions[i].chosen);
    fputs("]}\n", f);
    int rc = kr__out_commit(&t->out, true, err, err_len) == 0 ? 0 : KR_EIO;
    free(t);
    return rc;
}

/* ---- reading ---------------------------------------------------------------- */

#define EDIT_INDEX_MAX 1000000

/* "key":[[index,time],...] (absent: none). */
static int read_moves(json_t *h, const char *key, sc_trace_edit **out, size_t *n_out, char *err,
                      size_t err_len, const char *path)
{
    json_t *moves = json_object_get(h, key);
    size_t n = json_array_size(moves);
    if (moves && !json_is_array(moves))
        n = SIZE_MAX;
    *out = n && n != SIZE_MAX ? calloc(n, sizeof **out) : NULL;
    if (n && n != SIZE_MAX && !*out)
        return KR_ENOMEM;
    for (size_t i = 0; i < n && n != SIZE_MAX; i++) {
        json_t *pair = json_array_get(moves, i);
        json_t *index = json_array_get(pair, 0), *at = json_array_get(pair, 1);
        if (json_array_size(pair) != 2 || !json_is_integer(index) || !json_is_integer(at) ||
            json_integer_value(index) < 0 || json_integer_value(index) > EDIT_INDEX_MAX ||
            json_integer_value(at) < 0) {
            n = SIZE_MAX;
            break;
        }
        (*out)[i] = (sc_trace_edit){(size_t)json_integer_value(index), json_integer_value(at)};
    }
    if (n == SIZE_MAX) {
        snprintf(err, err_len, "%s:1: %s is not a list of [index, time] pairs", path, key);
        return KR_EFORMAT;
    }
    *n_out = n;
    return 0;
}

static int read_percent(json_t *h, const char *key, int *out, char *err, size_t err_len,
                        const char *path)
{
    json_t *v = json_object_get(h, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100) {
        snprintf(err, err_len, "%s:1: %s is not an integer in 0..100", path, key);
        return KR_EFORMAT;
    }
    *out = (int)json_integer_value(v);
    return 0;
}

const char *kr__sc_message_fault_name(kr_sim_message_fault_kind kind)
{
    return kind == KR_SIM_MESSAGE_DUPLICATED ? "duplicated"
           : kind == KR_SIM_MESSAGE_SLOW     ? "slow"
                                             : "lost";
}

/* "message_faults":[[send, "lost"|"duplicated"|"slow"], ...] (absent: none). */
static int read_message_faults(json_t *h, sc_trace_info *out, char *err, size_t err_len,
                               const char *path)
{
    json_t *list = json_object_get(h, "message_faults");
    size_t n = json_array_size(list);
    bool bad = (list && !json_is_array(list)) || n > SC_MESSAGE_FAULTS_MAX;
    out->message_faults = !bad && n ? calloc(n, sizeof *out->message_faults) : NULL;
    if (!bad && n && !out->message_faults)
        return KR_ENOMEM;
    for (size_t i = 0; i < n && !bad; i++) {
        json_t *pair = json_array_get(list, i), *send = json_array_get(pair, 0);
        const char *kind = json_string_value(json_array_get(pair, 1));
        kr_sim_message_fault_kind k = 0;
        for (int c = KR_SIM_MESSAGE_LOST; kind && c <= KR_SIM_MESSAGE_SLOW; c++)
            if (strcmp(kind, kr__sc_message_fault_name((kr_sim_message_fault_kind)c)) == 0)
                k = (kr_sim_message_fault_kind)c;
        bad = json_array_size(pair) != 2 || !json_is_integer(send) ||
              json_integer_value(send) < 0 || k == 0;
        if (!bad)
            out->message_faults[out->n_message_faults++] =
                (sc_message_fault){(uint64_t)json_integer_value(send), k};
    }
    if (bad) {
        snprintf(err, err_len,
                 "%s:1: message_faults is not a list of at most %d [send, \"lost\", "
                 "\"duplicated\" or \"slow\"] pairs",
                 path, SC_MESSAGE_FAULTS_MAX);
        return KR_EFORMAT;
    }
    return 0;
}

/* Shrink's edits beyond skip_actions (write_edits). */
static int read_edits(json_t *h, sc_trace_info *out, char *err, size_t err_len, const char *path)
{
    int rc = read_moves(h, "action_at", &out->action_at, &out->n_action_at, err, err_len, path);
    if (rc == 0)
        rc = read_moves(h, "random_at", &out->random_at, &out->n_random_at, err, err_len, path);
    json_t *skip = json_object_get(h, "skip_random");
    size_t n = json_array_size(skip);
    out->skip_random = rc == 0 && n ? calloc(n, sizeof *out->skip_random) : NULL;
    if (rc == 0 && n && !out->skip_random)
        rc = KR_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *v = json_array_get(skip, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > EDIT_INDEX_MAX) {
            snprintf(err, err_len, "%s:1: bad skip_random entry", path);
            rc = KR_EFORMAT;
        } else {
            out->skip_random[out->n_skip_random++] = (size_t)json_integer_value(v);
        }
    }
    if (rc == 0)
        rc = read_message_faults(h, out, err, err_len, path);
    if (rc == 0 && (json_object_get(h, "drop_percent") || json_object_get(h, "duplicate_percent"))) {
        out->rates_scaled = true;
        rc = read_percent(h, "drop_percent", &out->drop_percent, err, err_len, path);
        if (rc == 0)
            rc = read_percent(h, "duplicate_percent", &out->duplicate_percent, err, err_len, path);
    }
    return rc;
}

static int read_header(json_t *h, sc_trace_info *out, char *err, size_t err_len, const char *path)
{
    const char *file = json_string_value(json_object_get(h, "scenario"));
    const char *strategy = json_string_value(json_object_get(h, "strategy"));
    json_t *seed = json_object_get(h, "seed");
    if (!file || !strategy || !json_is_integer(seed)) {
        snprintf(err, err_len, "%s:1: header lacks scenario, seed or strategy", path);
        return KR_EFORMAT;
    }
    const char *format = json_string_value(json_object_get(h, "format"));
    json_t *version = json_object_get(h, "version");
    if (!format || strcmp(format, "kairos-trace") != 0 || !json_is_integer(version) ||
        json_integer_value(version) != 1) {
        snprintf(err, err_len, "%s:1: not a version 1 kairos-trace (format %s, version %lld)",
                 path, format ? format : "missing",
                 json_is_integer(version) ? (long long)json_integer_value(version) : -1LL);
        return KR_EFORMAT;
    }
    json_t *depth = json_object_get(h, "pct_depth");
    json_int_t depth_v = json_integer_value(depth);
    if (depth && (!json_is_integer(depth) || depth_v < 0 || depth_v > KR_PCT_DEPTH_MAX)) {
        snprintf(err, err_len, "%s:1: pct_depth is not an integer in 0..%d", path,
                 KR_PCT_DEPTH_MAX);
        return KR_EFORMAT;
    }
    snprintf(out->scenario, sizeof out->scenario, "%s", file);
    const char *abs = json_string_value(json_object_get(h, "scenario_path"));
    snprintf(out->scenario_path, sizeof out->scenario_path, "%s", abs ? abs : "");
    snprintf(out->strategy, sizeof out->strategy, "%s", strategy);
    out->seed = (uint64_t)json_integer_value(seed);
    out->pct_depth = (int)depth_v;
    json_int_t steps = json_integer_value(json_object_get(h, "pct_steps"));
    out->pct_steps = steps > 0 && steps <= 1000000000 ? (uint64_t)steps : 0;
    out->swarm = json_is_object(json_object_get(h, "swarm"));
    json_int_t share = json_integer_value(json_object_get(h, "workload_percent"));
    out->workload_percent = share > 0 && share < 100 ? (int)share : 0;
    out->no_random_faults = json_is_true(json_object_get(h, "no_random_faults"));
    json_t *skip = json_object_get(h, "skip_actions");
    size_t n = json_array_size(skip), max = 0;
    for (size_t i = 0; i < n; i++) {
        json_int_t v = json_integer_value(json_array_get(skip, i));
        if (v < 0 || v > 1000000) {
            snprintf(err, err_len, "%s:1: bad skip_actions entry", path);
            return KR_EFORMAT;
        }
        if ((size_t)v + 1 > max)
            max = (size_t)v + 1;
    }
    if (max) {
        out->skip_actions = calloc(max, sizeof *out->skip_actions);
        if (!out->skip_actions)
            return KR_ENOMEM;
        out->n_skip = max;
        for (size_t i = 0; i < n; i++)
            out->skip_actions[json_integer_value(json_array_get(skip, i))] = true;
    }
    return read_edits(h, out, err, err_len, path);
}

static int read_schedule(json_t *s, sc_trace_info *out, char *err, size_t err_len,
                         const char *path, int line)
{
    json_t *d = json_object_get(s, "decisions");
    size_t n = json_array_size(d);
    out->schedule = n ? malloc(n * sizeof *out->schedule) : NULL;
    if (n && !out->schedule)
        return KR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *pair = json_array_get(d, i);
        json_int_t o = json_integer_value(json_array_get(pair, 0));
        json_int_t c = json_integer_value(json_array_get(pair, 1));
        if (json_array_size(pair) != 2 || o < 1 || c < 0 || c >= o || o > UINT32_MAX) {
            snprintf(err, err_len, "%s:%d: decision %zu is not [options, chosen < options]", path,
                     line, i);
            return KR_EFORMAT;
        }
        out->schedule[i] = (sc_decision){(uint32_t)o, (uint32_t)c};
    }
    out->schedule_len = n;
    return 0;
}

int kr__sc_trace_read(const char *path, sc_trace_info *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return KR_EIO;
    }
    char *line = NULL;
    size_t cap = 0;
    int n = 0, rc = 0;
    bool header = false, schedule = false;
    while (rc == 0 && getline(&line, &cap, f) > 0) {
        n++;
        json_error_t jerr;
        json_t *j = json_loads(line, JSON_ALLOW_NUL, &jerr);
        const char *type = json_string_value(json_object_get(j, "type"));
        if (!j || !type) {
            snprintf(err, err_len, "%s:%d: not a trace record (%s)", path, n,
                     j ? "no \"type\"" : jerr.text);
            rc = KR_EFORMAT;
        } else if (strcmp(type, "header") == 0 && n == 1) {
            rc = read_header(j, out, err, err_len, path);
            header = rc == 0;
        } else if (strcmp(type, "result") == 0) {
            const char *hash = json_string_value(json_object_get(j, "hash"));
            out->hash = hash ? strtoull(hash, NULL, 16) : 0;
        } else if (strcmp(type, "schedule") == 0 && schedule) {
            snprintf(err, err_len, "%s:%d: a second schedule record", path, n);
            rc = KR_EFORMAT;
        } else if (strcmp(type, "schedule") == 0) {
            rc = read_schedule(j, out, err, err_len, path, n);
            schedule = rc == 0;
        }
        json_decref(j);
    }
    free(line);
    fclose(f);
    if (rc == 0 && (!header || !schedule)) {
        snprintf(err, err_len, "%s: %s", path,
                 !header ? "no kairos trace header on line 1" : "no schedule record (truncated?)");
        rc = KR_EFORMAT;
    }
    if (rc != 0)
        kr__sc_trace_info_free(out);
    return rc;
}

void kr__sc_trace_info_free(sc_trace_info *t)
{
    free(t->skip_actions);
    free(t->schedule);
    free(t->action_at);
    free(t->random_at);
    free(t->skip_random);
    free(t->message_faults);
    t->message_faults = NULL;
    t->n_message_faults = 0;
    t->skip_actions = NULL;
    t->schedule = NULL;
    t->action_at = t->random_at = NULL;
    t->skip_random = NULL;
}
