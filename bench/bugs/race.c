/* Depth-1 race: two incrementers on one node each add 1 to a register by
 * reading it (`get`) and writing value + 1 (`set`). When both read before
 * either writes, one increment is lost; the register names it at the `set`
 * that overwrites a newer value (kr_check). The repaired incrementer
 * (`fixed: true`) sends one atomic `inc`. */
#include "bugs.h"

#include <stdlib.h>
#include <string.h>

typedef struct reg {
    kr_process base;
    int64_t value;
    uint64_t version;
    kr_pid reader[2];
    uint64_t read_version[2];
} reg;

typedef struct incr {
    kr_process base;
    kr_pid reg;
    int64_t times, done;
    bool fixed;
} incr;

static int slot_of(reg *r, kr_pid who)
{
    for (int i = 0; i < 2; i++)
        if (kr_pid_equal(r->reader[i], who))
            return i;
    for (int i = 0; i < 2; i++)
        if (kr_pid_is_none(r->reader[i])) {
            r->reader[i] = who;
            return i;
        }
    return -1;
}

static void reg_get(kr_process *self, const kr_message *m)
{
    reg *r = (reg *)self;
    int i = slot_of(r, m->from);
    if (i >= 0)
        r->read_version[i] = r->version;
    kr_send(self, m->from, "value", &r->value, sizeof r->value);
}

static void reg_set(kr_process *self, const kr_message *m)
{
    reg *r = (reg *)self;
    if (m->len != sizeof r->value)
        return;
    int i = slot_of(r, m->from);
    kr_check(i < 0 || r->read_version[i] == r->version,
             "lost update: %s writes a value computed from version %llu, version %llu is current",
             m->from.id, i < 0 ? 0ULL : (unsigned long long)r->read_version[i],
             (unsigned long long)r->version);
    memcpy(&r->value, m->body, sizeof r->value);
    r->version++;
    kr_send(self, m->from, "done", NULL, 0);
}

static void reg_inc(kr_process *self, const kr_message *m)
{
    reg *r = (reg *)self;
    r->value++;
    r->version++;
    kr_send(self, m->from, "done", NULL, 0);
}

static void reg_init(kr_process *self)
{
    kr_install(self, "get", reg_get);
    kr_install(self, "set", reg_set);
    kr_install(self, "inc", reg_inc);
}

static const kr_process_ops reg_ops = {.initialize = reg_init};

static kr_process *reg_new(const char *id, const kr_sc_args *args)
{
    (void)args;
    reg *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->reader[0] = r->reader[1] = KR_PID_NONE;
    kr_process_init(&r->base, id, &reg_ops);
    return &r->base;
}

static void incr_next(kr_process *self)
{
    incr *c = (incr *)self;
    if (c->done >= c->times)
        return;
    kr_send(self, c->reg, c->fixed ? "inc" : "get", NULL, 0);
}

static void incr_value(kr_process *self, const kr_message *m)
{
    incr *c = (incr *)self;
    int64_t v;
    if (m->len != sizeof v)
        return;
    memcpy(&v, m->body, sizeof v);
    v++;
    kr_send(self, c->reg, "set", &v, sizeof v);
}

static void incr_done(kr_process *self, const kr_message *m)
{
    (void)m;
    ((incr *)self)->done++;
    incr_next(self);
}

static void incr_init(kr_process *self)
{
    kr_install(self, "value", incr_value);
    kr_install(self, "done", incr_done);
    incr_next(self);
}

static const kr_process_ops incr_ops = {.initialize = incr_init};

static kr_process *incr_new(const char *id, const kr_sc_args *args)
{
    incr *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fixed = bugs_fixed(args);
    if (kr_sc_pid(args, "register", &c->reg) || kr_sc_int(args, "times", 1, 1000, 1, &c->times)) {
        free(c);
        return NULL;
    }
    kr_process_init(&c->base, id, &incr_ops);
    return &c->base;
}

void bugs_register_race(void)
{
    kr_actor_register("bench-register", reg_new, "a register: get, set, inc");
    kr_actor_register("bench-incrementer", incr_new,
                      "adds 1 to `register` `times` times by get-then-set (fixed: inc)");
}
