/* kr_loop: libprocess' process::loop, iterate then body until a break.
 *
 * The loop is a small state machine driven by loop_run, which keeps going
 * in a `for` while the futures it gets are already complete, and parks on
 * the one in flight otherwise; the completion resumes it (dispatched into
 * ctx, or on the completing thread). So a million synchronous iterations
 * cost one stack frame, not a million nested callbacks. Only one step runs
 * at a time, so the state needs no lock; `current` has one because a
 * discard request may come from any thread. */
#include "backend.h"
#include "internal.h"

#include <pthread.h>

/* The value of a control future from kr_loop_continue/kr_loop_break. */
typedef struct loop_flow {
    bool stop;
    void *value;
    void (*free_value)(void *);
} loop_flow;

static void flow_free(void *v)
{
    loop_flow *flow = v;
    if (flow->free_value && flow->value)
        flow->free_value(flow->value);
    kr__free(flow);
}

static kr_future *flow_future(bool stop, void *value, void (*free_value)(void *))
{
    loop_flow *flow = kr__malloc(sizeof *flow);
    if (!flow) {
        if (free_value && value)
            free_value(value);
        return NULL;
    }
    flow->stop = stop;
    flow->value = value;
    flow->free_value = free_value;
    return kr_future_ready(flow, flow_free);
}

kr_future *kr_loop_continue(void) { return flow_future(false, NULL, NULL); }

kr_future *kr_loop_break(void *value, void (*free_value)(void *))
{
    return flow_future(true, value, free_value);
}

typedef enum { AT_ITERATE, AT_ITEM, AT_FLOW } loop_phase;

typedef struct loop {
    atomic_int refs; /* discard hook, the step in flight */
    pthread_mutex_t lock; /* guards current */
    kr_promise *result;
    kr_future *current; /* the item or control future in flight */
    kr_pid ctx;
    kr_loop_iterate_fn iterate;
    kr_loop_body_fn body;
    void *state;
    void (*free_state)(void *);
} loop;

static void loop_release(loop *l)
{
    if (atomic_fetch_sub(&l->refs, 1) != 1)
        return;
    kr_future_unref(l->current);
    kr_promise_free(l->result);
    pthread_mutex_destroy(&l->lock);
    kr__free(l);
}

static void loop_release_hook(void *ctx) { loop_release(ctx); }

static void loop_discard(void *ctx)
{
    loop *l = ctx;
    pthread_mutex_lock(&l->lock);
    kr_future *cur = kr_future_ref(l->current);
    pthread_mutex_unlock(&l->lock);
    kr_future_discard(cur);
    kr_future_unref(cur);
}

/* The loop is over: its state goes, and the step's reference with it. */
static void loop_end(loop *l)
{
    if (l->free_state)
        l->free_state(l->state);
    l->state = NULL;
    loop_release(l);
}

static void loop_set_current(loop *l, kr_future *f)
{
    pthread_mutex_lock(&l->lock);
    kr_future *old = l->current;
    l->current = f;
    pthread_mutex_unlock(&l->lock);
    kr_future_unref(old);
}

static void loop_park(loop *l, loop_phase phase, kr_future *f);

/* Handles a complete control future; returns true to go on iterating. */
static bool loop_flow_done(loop *l, kr_future *f)
{
    if (kr__future_value_is(f, flow_free)) {
        loop_flow *flow = kr_future_value(f);
        if (!flow->stop)
            return true;
        void *value = flow->value;
        flow->value = NULL; /* the loop's result takes it over */
        if (!kr_promise_set(l->result, value, flow->free_value) && flow->free_value && value)
            flow->free_value(value);
    } else if (kr_future_state_of(f) == KR_READY) {
        kr__log("kr_loop: body returned a future not made by kr_loop_continue/kr_loop_break");
        kr_promise_fail(l->result, "loop body returned no control value");
    } else {
        kr__promise_follow(l->result, f);
    }
    return false;
}

/* Runs steps until one has to wait or the loop ends. `done` is the
 * complete future of `phase` (NULL at AT_ITERATE). */
static void loop_run(kr_process *self, loop *l, loop_phase phase, kr_future *done)
{
    for (;;) {
        if (phase == AT_ITERATE) {
            if (kr_future_discard_requested(kr__promise_peek(l->result))) {
                kr_promise_discard(l->result);
                break;
            }
            if (l->iterate) {
                kr_future *item = l->iterate(self, l->state);
                if (!item) {
                    kr_promise_fail(l->result, "loop iterate returned NULL");
                    break;
                }
                loop_set_current(l, item);
                if (kr_future_state_of(item) == KR_PENDING)
                    return loop_park(l, AT_ITEM, item);
            }
            phase = AT_ITEM;
            done = l->iterate ? l->current : NULL;
        }
        if (phase == AT_ITEM) {
            if (done && kr_future_state_of(done) != KR_READY) {
                kr__promise_follow(l->result, done);
                break;
            }
            kr_future *flow = l->body(self, done, l->state);
            if (!flow) {
                kr_promise_fail(l->result, "loop body returned NULL");
                break;
            }
            loop_set_current(l, flow); /* done was current: released here */
            if (kr_future_discard_requested(kr__promise_peek(l->result)))
                kr_future_discard(flow);
            if (kr_future_state_of(flow) == KR_PENDING)
                return loop_park(l, AT_FLOW, flow);
            done = flow;
        }
        if (!loop_flow_done(l, done))
            break;
        phase = AT_ITERATE;
        done = NULL;
    }
    loop_end(l);
}

typedef struct loop_call {
    loop *l;
    loop_phase phase;
} loop_call;

static void loop_call_run(kr_process *self, void *data)
{
    loop_call *call = data;
    loop *l = call->l;
    kr_future *done = call->phase == AT_ITERATE ? NULL : l->current;
    loop_run(self, l, call->phase, done);
}

static void loop_call_drop(kr_process *self, void *data)
{
    (void)self;
    loop *l = ((loop_call *)data)->l;
    kr__promise_abandon(l->result); /* ctx is gone */
    loop_end(l);
}

static void loop_resume(loop *l, loop_phase phase)
{
    if (kr_pid_is_none(l->ctx)) {
        loop_run(NULL, l, phase, phase == AT_ITERATE ? NULL : l->current);
        return;
    }
    loop_call call = {l, phase};
    kr__dispatch_internal(l->ctx, loop_call_run, loop_call_drop, &call, sizeof call);
}

static void loop_item_done(kr_future *f, void *ctx)
{
    (void)f;
    loop_resume(ctx, AT_ITEM);
}

static void loop_flow_ready(kr_future *f, void *ctx)
{
    (void)f;
    loop_resume(ctx, AT_FLOW);
}

/* Waits for f (the loop's current future) and resumes at `phase`. */
static void loop_park(loop *l, loop_phase phase, kr_future *f)
{
    kr__future_on_complete(f, phase == AT_ITEM ? loop_item_done : loop_flow_ready, l);
}

kr_future *kr_loop(kr_pid ctx, kr_loop_iterate_fn iterate, kr_loop_body_fn body, void *state,
                   void (*free_state)(void *))
{
    if (!body) {
        kr__log("kr_loop: NULL body");
        return NULL;
    }
    kr_promise *result = kr_promise_new();
    loop *l = result ? kr__calloc(1, sizeof *l) : NULL;
    if (!l) {
        kr_promise_free(result);
        return NULL;
    }
    pthread_mutex_init(&l->lock, NULL);
    atomic_init(&l->refs, 2); /* discard hook, the step in flight */
    l->result = result;
    l->ctx = ctx;
    l->iterate = iterate;
    l->body = body;
    l->state = state;
    l->free_state = free_state;
    kr_future *out = kr_promise_future(result);
    kr__future_on_discard(out, loop_discard, loop_release_hook, l);
    loop_resume(l, AT_ITERATE);
    return out;
}
