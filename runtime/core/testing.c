/* Filters and test expectations (libprocess' Filter, FUTURE_MESSAGE,
 * DROP_MESSAGES, FUTURE_DISPATCH, FUTURE_EXITED).
 *
 * Consulted at serve time, in the receiver's order. The common case (no
 * filter, no expectation) costs one relaxed load in the serving loop; the
 * rest sits behind a recursive lock so a filter may install expectations. */
#include "backend.h"
#include "internal.h"

#include <pthread.h>

typedef enum { EXPECT_MESSAGE, EXPECT_DROP_ONE, EXPECT_DROP_ALL, EXPECT_DISPATCH, EXPECT_EXITED } expect_kind;

typedef struct kr__expectation {
    struct kr__expectation *next;
    expect_kind kind;
    char *name;       /* NULL = any */
    kr_pid from, to;  /* KR_PID_NONE = any */
    void *fn;         /* dispatch */
    kr_promise *done; /* NULL for DROP_ALL */
} expectation;

static void init_lock(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&kr__core.testing.lock, &a);
    pthread_mutexattr_destroy(&a);
}

static void lock_filters(void)
{
    pthread_once(&kr__core.testing.lock_once, init_lock);
    pthread_mutex_lock(&kr__core.testing.lock);
}

static void update_flag(void)
{
    atomic_store(&kr__core.testing.filtering,
                 kr__core.testing.user_filter || kr__core.testing.expectations);
}

kr_event_kind kr_event_kind_of(const kr_event *e)
{
    if (!e)
        return KR_EVENT_DISPATCH;
    return e->e->kind == KR__EV_INTERNAL ? KR_EVENT_DISPATCH : (kr_event_kind)e->e->kind;
}

kr_pid kr_event_to(const kr_event *e) { return e ? e->to : KR_PID_NONE; }

const kr_message *kr_event_message(const kr_event *e)
{
    return e && e->e->kind == KR__EV_MESSAGE ? &e->msg : NULL;
}

void *kr_event_function(const kr_event *e)
{
    if (!e || e->e->kind != KR__EV_DISPATCH)
        return NULL;
    const kr__event *ev = e->e;
    return ev->u.dispatch.fn ? (void *)ev->u.dispatch.fn : (void *)ev->u.dispatch.call_fn;
}

void kr_filter_install(bool (*drop)(const kr_event *e, void *ctx), void *ctx)
{
    lock_filters();
    kr__core.testing.user_filter = drop;
    kr__core.testing.user_ctx = drop ? ctx : NULL;
    update_flag();
    pthread_mutex_unlock(&kr__core.testing.lock);
}

static bool pid_matches(kr_pid want, kr_pid got)
{
    return kr_pid_is_none(want) || kr_pid_equal(want, got);
}

static bool matches(const expectation *x, const kr_event *view)
{
    const kr__event *e = view->e;
    if (!pid_matches(x->to, view->to))
        return false;
    switch (x->kind) {
    case EXPECT_MESSAGE:
    case EXPECT_DROP_ONE:
    case EXPECT_DROP_ALL:
        return e->kind == KR__EV_MESSAGE && pid_matches(x->from, e->u.msg.from) &&
               (!x->name || strcmp(x->name, e->u.msg.name) == 0);
    case EXPECT_DISPATCH:
        return kr_event_function(view) == x->fn;
    case EXPECT_EXITED:
        return e->kind == KR__EV_EXITED && pid_matches(x->from, e->u.exited.who);
    }
    return false;
}

static void free_message_copy(void *v) { kr__free(v); }

/* The future value of FUTURE_MESSAGE: one block, message then body, name. */
static kr_message *copy_message(const kr_message *m)
{
    size_t name_len = strlen(m->name) + 1;
    kr_message *c = kr__malloc(sizeof *c + m->len + name_len);
    if (!c)
        return NULL;
    *c = *m;
    char *body = (char *)(c + 1);
    if (m->len)
        memcpy(body, m->body, m->len);
    memcpy(body + m->len, m->name, name_len);
    c->body = body;
    c->name = body + m->len;
    return c;
}

static void unlink_expectation(expectation **link)
{
    expectation *x = *link;
    *link = x->next;
    if (kr__core.testing.expectations_tail == &x->next)
        kr__core.testing.expectations_tail = link;
}

static void free_expectation(expectation *x)
{
    kr_promise_free(x->done);
    kr__free(x->name);
    kr__free(x);
}

bool kr__filter_drops(kr__proc *p, kr__event *e)
{
    kr_event view = {.e = e, .to = p->pid};
    if (e->kind == KR__EV_MESSAGE)
        view.msg = (kr_message){.from = e->u.msg.from, .to = p->pid, .name = e->u.msg.name,
                                .body = e->data, .len = e->len};
    lock_filters();
    bool drop = false;
    expectation *fired = NULL;
    for (expectation **link = &kr__core.testing.expectations; *link;) {
        expectation *x = *link;
        if (!matches(x, &view)) {
            link = &x->next;
            continue;
        }
        if (x->kind == EXPECT_DROP_ALL) {
            drop = true;
            break;
        }
        unlink_expectation(link); /* one-shot: retires once satisfied */
        x->next = fired;
        fired = x;
        drop = x->kind == EXPECT_DROP_ONE;
        break;
    }
    if (!drop && kr__core.testing.user_filter)
        drop = kr__core.testing.user_filter(&view, kr__core.testing.user_ctx);
    update_flag();
    pthread_mutex_unlock(&kr__core.testing.lock);
    if (fired) {
        void *value = NULL;
        void (*free_value)(void *) = NULL;
        if (e->kind == KR__EV_MESSAGE) {
            value = copy_message(&view.msg);
            free_value = free_message_copy;
        }
        if (!kr_promise_set(fired->done, value, free_value) && free_value)
            free_value(value);
        free_expectation(fired);
    }
    return drop;
}

static kr_future *expect(expect_kind kind, const char *name, kr_pid from, kr_pid to, void *fn)
{
    expectation *x = kr__calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->kind = kind;
    x->from = from;
    x->to = to;
    x->fn = fn;
    kr_future *f = NULL;
    if (name && !(x->name = kr__strdup(name))) {
        kr__free(x);
        return NULL;
    }
    if (kind != EXPECT_DROP_ALL) {
        x->done = kr_promise_new();
        if (!x->done) {
            free_expectation(x);
            return NULL;
        }
        f = kr_promise_future(x->done);
    }
    lock_filters();
    *kr__core.testing.expectations_tail = x;
    kr__core.testing.expectations_tail = &x->next;
    update_flag();
    pthread_mutex_unlock(&kr__core.testing.lock);
    return f;
}

kr_future *kr_expect_message(const char *name, kr_pid from, kr_pid to)
{
    return expect(EXPECT_MESSAGE, name, from, to, NULL);
}

kr_future *kr_drop_message(const char *name, kr_pid from, kr_pid to)
{
    return expect(EXPECT_DROP_ONE, name, from, to, NULL);
}

void kr_drop_messages(const char *name, kr_pid from, kr_pid to)
{
    expect(EXPECT_DROP_ALL, name, from, to, NULL);
}

kr_future *kr_expect_dispatch(kr_pid to, kr_fn fn)
{
    if (!fn) {
        kr__log("kr_expect_dispatch: NULL function");
        return NULL;
    }
    return expect(EXPECT_DISPATCH, NULL, KR_PID_NONE, to, (void *)fn);
}

kr_future *kr_expect_exited(kr_pid from, kr_pid to)
{
    return expect(EXPECT_EXITED, NULL, from, to, NULL);
}

void kr_expect_clear(void)
{
    lock_filters();
    expectation *all = kr__core.testing.expectations;
    kr__core.testing.expectations = NULL;
    kr__core.testing.expectations_tail = &kr__core.testing.expectations;
    update_flag();
    pthread_mutex_unlock(&kr__core.testing.lock);
    while (all) {
        expectation *next = all->next;
        free_expectation(all); /* pending futures become abandoned */
        all = next;
    }
}

void kr__testing_reset(void)
{
    kr_expect_clear();
    kr_filter_install(NULL, NULL);
}
