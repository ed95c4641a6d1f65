/* Depth-2 and depth-3 ordering bugs: two writers append `count` records
 * each, one record per event, to a log on the same node (so only the
 * scheduler orders them: no network, no latency).
 *
 * The log spills every long run (at least `run` records in a row from one
 * writer) into a segment, and a long run of the other writer opens a new
 * segment. The planted bug: the segment table was sized for "each writer
 * writes one burst", `segments - 1` entries, and the next segment overflows
 * it (reported by a kr_check). `segments: 3` needs the order A...B...A
 * (one writer preempted in the middle of its work by a long run of the
 * other: depth 2 in PCT's terms); `segments: 4` needs A...B...A...B (depth
 * 3). A random walk seldom gives one writer `run` events in a row, so it
 * seldom gets there; PCT does it with one or two change points. The repaired
 * log (`fixed: true`) grows its table. */
#include "bugs.h"

#include <stdlib.h>

#define SEGMENTS_MAX 64

typedef struct blog {
    kr_process base;
    int64_t run, segments;
    bool fixed;
    int last_writer, run_len;     /* the current run */
    int seg_writer;               /* the latest segment's writer, -1: none */
    int64_t n_segments, records;
} blog;

typedef struct bwriter {
    kr_process base;
    kr_pid log;
    int64_t count, sent, index;
} bwriter;

static void log_record(kr_process *self, const kr_message *m)
{
    blog *l = (blog *)self;
    int w = m->len ? ((const unsigned char *)m->body)[0] : 0;
    l->records++;
    l->run_len = w == l->last_writer ? l->run_len + 1 : 1;
    l->last_writer = w;
    if (l->run_len != l->run || w == l->seg_writer)
        return; /* not a new long run of the other writer */
    l->seg_writer = w;
    l->n_segments++;
    if (l->n_segments >= l->segments)
        kr_probe("segment-table-full");
    kr_check(l->fixed || l->n_segments < l->segments,
             "segment table overflow: %lld long runs alternated (table holds %lld) after %lld "
             "records",
             (long long)l->n_segments, (long long)(l->segments - 1), (long long)l->records);
}

static void log_init(kr_process *self) { kr_install(self, "record", log_record); }

static const kr_process_ops log_ops = {.initialize = log_init};

static kr_process *log_new(const char *id, const kr_sc_args *args)
{
    blog *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->fixed = bugs_fixed(args);
    l->last_writer = l->seg_writer = -1;
    if (kr_sc_int(args, "run", 2, 1000, 8, &l->run) ||
        kr_sc_int(args, "segments", 2, SEGMENTS_MAX, 3, &l->segments)) {
        free(l);
        return NULL;
    }
    kr_process_init(&l->base, id, &log_ops);
    return &l->base;
}

/* One record per event: the writer dispatches itself its next one. */
static void writer_step(kr_process *self, const void *arg)
{
    (void)arg;
    bwriter *w = (bwriter *)self;
    unsigned char who = (unsigned char)w->index;
    kr_send(self, w->log, "record", &who, 1);
    if (++w->sent < w->count)
        kr_dispatch(kr_self(self), writer_step, NULL, 0);
}

static void writer_init(kr_process *self) { kr_dispatch(kr_self(self), writer_step, NULL, 0); }

static const kr_process_ops writer_ops = {.initialize = writer_init};

static kr_process *writer_new(const char *id, const kr_sc_args *args)
{
    bwriter *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (kr_sc_pid(args, "log", &w->log) || kr_sc_count(args, "count", 1, 100000, 100, &w->count) ||
        kr_sc_int(args, "index", 0, 255, 0, &w->index)) {
        free(w);
        return NULL;
    }
    kr_process_init(&w->base, id, &writer_ops);
    return &w->base;
}

void bugs_register_ordering(void)
{
    kr_actor_register("bench-log", log_new,
                      "log spilling long runs into segments; args run, segments, fixed");
    kr_actor_register("bench-writer", writer_new,
                      "appends `count` records to `log`, one per event; args log, count, index");
}
