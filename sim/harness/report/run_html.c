/* The run report: one self-contained HTML file, the data embedded as JSON
 * in a <script type="application/json"> element, drawn by assets/run.js. */
#include "run_model.h"

#include <stdlib.h>
#include <string.h>

/* A jansson value as script-safe JSON; strings go through unlatin. */
static void write_json(FILE *out, json_t *v)
{
    size_t i;
    const char *key;
    json_t *item;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        bool first = true;
        putc('{', out);
        json_object_foreach(v, key, item)
        {
            if (!first)
                putc(',', out);
            first = false;
            kr__rp_json_str(out, key, strlen(key));
            putc(':', out);
            write_json(out, item);
        }
        putc('}', out);
        break;
    }
    case JSON_ARRAY:
        putc('[', out);
        json_array_foreach(v, i, item)
        {
            if (i)
                putc(',', out);
            write_json(out, item);
        }
        putc(']', out);
        break;
    case JSON_STRING: {
        size_t len = json_string_length(v);
        char *copy = malloc(len + 1);
        if (copy) {
            memcpy(copy, json_string_value(v), len);
            len = kr__rp_unlatin(copy, len);
            kr__rp_json_str(out, copy, len);
            free(copy);
        } else {
            fputs("\"\"", out);
        }
        break;
    }
    case JSON_INTEGER: fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL: fprintf(out, "%.17g", json_real_value(v)); break;
    case JSON_TRUE: fputs("true", out); break;
    case JSON_FALSE: fputs("false", out); break;
    default: fputs("null", out); break;
    }
}

typedef enum { COL_STEP, COL_TIME, COL_KIND, COL_LANE, COL_NAME, COL_FROM, COL_TO, COL_LEN,
               COL_PREVIEW, COL_OPTIONS, COL_CHOSEN } ev_col;

static void ev_value(FILE *out, const rp_event *e, ev_col c)
{
    switch (c) {
    case COL_STEP: fprintf(out, "%llu", (unsigned long long)e->step); break;
    case COL_TIME: fprintf(out, "%lld", (long long)e->time); break;
    case COL_KIND: fprintf(out, "%d", e->kind); break;
    case COL_LANE: fprintf(out, "%d", e->lane); break;
    case COL_NAME: fprintf(out, "%d", e->name); break;
    case COL_FROM: fprintf(out, "%d", e->from); break;
    case COL_TO: fprintf(out, "%d", e->to); break;
    case COL_LEN: fprintf(out, "%llu", (unsigned long long)e->len); break;
    case COL_PREVIEW: fprintf(out, "%d", e->preview); break;
    case COL_OPTIONS: fprintf(out, "%lu", (unsigned long)e->options); break;
    case COL_CHOSEN: fprintf(out, "%lu", (unsigned long)e->chosen); break;
    }
}

/* Events column by column: {"s":[...],"t":[...],...} parses fast. */
static void write_events(FILE *out, const rp_run *r)
{
    static const char *const cols[] = {"s", "t", "k", "l", "n", "f", "o", "z", "p", "d", "c"};
    putc('{', out);
    for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) {
        fprintf(out, "%s\"%s\":[", c ? "," : "", cols[c]);
        for (size_t i = 0; i < r->n_ev; i++) {
            if (i)
                putc(',', out);
            ev_value(out, &r->ev[i], (ev_col)c);
        }
        putc(']', out);
        putc('\n', out);
    }
    putc('}', out);
}

static void write_arrows(FILE *out, const rp_run *r)
{
    static const char *const cols[] = {"a", "b", "la", "lb", "k"};
    putc('{', out);
    for (size_t c = 0; c < 5; c++) {
        fprintf(out, "%s\"%s\":[", c ? "," : "", cols[c]);
        for (size_t i = 0; i < r->n_ar; i++) {
            const rp_arrow *a = &r->ar[i];
            long v = c == 0 ? a->a : c == 1 ? a->b : c == 2 ? a->la : c == 3 ? a->lb : (long)a->kind;
            fprintf(out, i ? ",%ld" : "%ld", v);
        }
        fputs("]\n", out);
    }
    putc('}', out);
}

static void write_faults(FILE *out, const rp_run *r)
{
    putc('[', out);
    for (size_t i = 0; i < r->n_faults; i++) {
        const rp_fault *f = &r->faults[i];
        fprintf(out, "%s[%ld,%ld,", i ? "," : "", f->ev, f->end_ev);
        if (!f->n_nodes) {
            fputs("null]", out);
            continue;
        }
        putc('[', out);
        for (size_t j = 0; j < f->n_nodes; j++)
            fprintf(out, j ? ",%d" : "%d", f->nodes[j]);
        fputs("]]", out);
    }
    putc(']', out);
}

void kr__rp_run_write_data(FILE *out, const rp_run *r)
{
    fputs("{\"format\":\"kairos-report-data\",\"version\":1,\n\"header\":", out);
    write_json(out, r->header);
    fputs(",\n\"result\":", out);
    if (r->result)
        write_json(out, r->result);
    else
        fputs("null", out);
    fputs(",\n\"trace\":", out);
    kr__rp_json_str(out, r->trace_path ? r->trace_path : "", r->trace_path ? strlen(r->trace_path) : 0);
    /* What replays the run: commands that work, or "" (none offered). */
    const char *seed = r->replay_seed ? r->replay_seed : "";
    const char *trace = r->replay_trace ? r->replay_trace : "";
    fputs(",\n\"replay\":{\"seed\":", out);
    kr__rp_json_str(out, seed, strlen(seed));
    fputs(",\"trace\":", out);
    kr__rp_json_str(out, trace, strlen(trace));
    putc('}', out);
    fprintf(out, ",\n\"schedule_len\":%zu,\"fail\":%ld,\n\"nodes\":[", r->schedule_len,
            r->fail_ev);
    for (size_t i = 0; i < r->n_nodes; i++)
        fprintf(out, "%s[%d,%d]", i ? "," : "", r->node_name[i], r->node_addr[i]);
    fputs("],\n\"lanes\":[", out);
    for (size_t i = 0; i < r->n_lanes; i++)
        fprintf(out, "%s[%d,%d,%d]", i ? "," : "", r->lanes[i].node, r->lanes[i].process,
                r->lanes[i].type);
    fputs("],\n\"str\":[", out);
    for (size_t i = 0; i < r->str.n; i++) {
        if (i)
            putc(',', out);
        kr__rp_json_str(out, r->str.s[i], r->str.len[i]);
    }
    fputs("],\n\"ev\":", out);
    write_events(out, r);
    fputs(",\n\"ar\":", out);
    write_arrows(out, r);
    fputs(",\n\"faults\":", out);
    write_faults(out, r);
    fputs("}", out);
}

static void json_text(FILE *out, json_t *o, const char *key, const char *dflt)
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v)) {
        size_t len = json_string_length(v);
        char *copy = malloc(len + 1);
        if (copy) {
            memcpy(copy, json_string_value(v), len);
            kr__rp_html(out, copy, kr__rp_unlatin(copy, len));
            free(copy);
        }
    } else if (json_is_integer(v)) {
        fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else {
        fputs(dflt, out);
    }
}

static const char RUN_BODY[] =
    "<header id=\"top\">\n"
    "<div id=\"title\"></div>\n"
    "<div id=\"failure-banner\" hidden></div>\n"
    "<div id=\"toolbar\">\n"
    " <label>Node <select id=\"filter-node\"><option value=\"\">all nodes</option></select></label>\n"
    " <label>Process <input id=\"filter-process\" type=\"search\" placeholder=\"id or type\" "
    "list=\"process-list\"></label><datalist id=\"process-list\"></datalist>\n"
    " <label>Message <input id=\"filter-name\" type=\"search\" placeholder=\"name contains\"></label>\n"
    " <span id=\"kind-filters\"></span>\n"
    " <button id=\"filter-clear\" type=\"button\">Clear</button>\n"
    " <span id=\"stats\"></span>\n"
    "</div>\n"
    "</header>\n"
    "<main id=\"main\">\n"
    "<div id=\"diagram\">\n"
    " <div id=\"lanes-wrap\"><div id=\"lanes\"></div></div>\n"
    " <div id=\"scroll\" tabindex=\"0\"><div id=\"stage\">"
    "<svg id=\"view\" xmlns=\"http://www.w3.org/2000/svg\"></svg><canvas id=\"through\"></canvas></div>"
    "<div id=\"filler\"></div></div>\n"
    "</div>\n"
    "<canvas id=\"overview\" width=\"16\" height=\"100\" title=\"faults (orange), failure (red): "
    "click to jump\"></canvas>\n"
    "<aside id=\"details\"><h2>Details</h2><p class=\"hint\">Click an event or an arrow.</p></aside>\n"
    "</main>\n"
    "<noscript><p>This report needs JavaScript (inline only, no network).</p></noscript>\n";

static void write_page(FILE *out, const rp_run *r)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"kairos report\">\n<title>Kairos run: ",
          out);
    json_text(out, r->header, "name", "run");
    fputs(" seed ", out);
    json_text(out, r->header, "seed", "?");
    fputs(" (", out);
    json_text(out, r->result, "status", "incomplete");
    fputs(")</title>\n<style>\n", out);
    fputs(kr__rp_run_css, out);
    fputs("</style>\n</head>\n<body>\n", out);
    fputs(RUN_BODY, out);
    fputs("<script type=\"application/json\" id=\"kairos-data\">", out);
    kr__rp_run_write_data(out, r);
    fputs("</script>\n<script>\n", out);
    fputs(kr__rp_run_js, out);
    fputs("</script>\n</body>\n</html>\n", out);
}

int kr__report_run(const char *trace_path, const char *html_path, char *err, size_t err_len)
{
    return kr__report_run_replay(trace_path, html_path, NULL, err, err_len);
}

int kr__report_run_replay(const char *trace_path, const char *html_path,
                          const kr__report_replay *replay, char *err, size_t err_len)
{
    if (!trace_path || !html_path) {
        kr__rp_err(err, err_len, "report: no trace or output path");
        return KR_EINVAL;
    }
    rp_run r;
    int rc = kr__rp_run_load(trace_path, &r, err, err_len);
    if (rc)
        return rc;
    r.trace_path = trace_path;
    if (replay) {
        r.replay_seed = replay->seed_cmd;
        r.replay_trace = replay->trace_cmd;
        if (replay->temporary_trace) /* gone once the report is made */
            r.trace_path = NULL;
    }
    rp_file o;
    rc = kr__rp_create(&o, html_path, err, err_len);
    if (!rc) {
        write_page(o.f, &r);
        rc = kr__rp_commit(&o, true, err, err_len);
    }
    kr__rp_run_free(&r);
    return rc;
}
