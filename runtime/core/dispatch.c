/* Dispatch: run a function as an event of a process. */
#include "backend.h"
#include "internal.h"

static kr__event *dispatch_event(const void *arg, size_t len)
{
    if (!arg && len) {
        kr__log("kr_dispatch: NULL arg with len %zu", len);
        return NULL;
    }
    kr__event *e = kr__event_new(KR__EV_DISPATCH, len, 0);
    if (!e)
        return NULL;
    if (len)
        memcpy(e->data, arg, len);
    e->u.dispatch.fn = NULL;
    e->u.dispatch.call_fn = NULL;
    e->u.dispatch.promise = NULL;
    return e;
}

void kr_dispatch(kr_pid to, kr_fn fn, const void *arg, size_t len)
{
    if (!fn) {
        kr__log("kr_dispatch: NULL function");
        return;
    }
    kr__event *e = dispatch_event(arg, len);
    if (!e)
        return;
    e->u.dispatch.fn = fn;
    KR__COUNT(dispatches);
    kr__deliver(to, e);
}

kr_future *kr_dispatch_call(kr_pid to, kr_call_fn fn, const void *arg, size_t len)
{
    kr_promise *promise = kr_promise_new();
    if (!promise)
        return NULL;
    kr_future *f = kr_promise_future(promise);
    kr__event *e = fn ? dispatch_event(arg, len) : NULL;
    if (!e) {
        if (!fn)
            kr__log("kr_dispatch_call: NULL function");
        kr_promise_free(promise); /* abandoned: never pending forever */
        return f;
    }
    e->u.dispatch.call_fn = fn;
    e->u.dispatch.promise = promise;
    KR__COUNT(dispatches);
    kr__deliver(to, e); /* on failure the drop abandons the promise */
    return f;
}

/* kr_delay's event, made when the delay is set so that firing it costs no
 * allocation or copy on the timer thread; delivered by kr__dispatch_deliver. */
kr__event *kr__dispatch_event(kr_fn fn, const void *arg, size_t len)
{
    kr__event *e = dispatch_event(arg, len);
    if (e)
        e->u.dispatch.fn = fn;
    return e;
}

void kr__dispatch_deliver(const kr_pid *to, kr__event *e)
{
    KR__COUNT(dispatches);
    kr__deliver(*to, e);
}

/* Runtime-made events (future callbacks in a process' context). */
bool kr__dispatch_internal(kr_pid to, kr__internal_fn run, kr__internal_fn drop,
                           const void *data, size_t len)
{
    kr__event *e = kr__event_new(KR__EV_INTERNAL, len, 0);
    if (!e) {
        if (drop)
            drop(NULL, (void *)data);
        return false;
    }
    memcpy(e->data, data, len);
    e->u.internal.run = run;
    e->u.internal.drop = drop;
    return kr__deliver(to, e);
}
