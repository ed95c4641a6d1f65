/* Events: one allocation each, the payload (arg or body, then name) inline. */
#include "http_internal.h"

kr__event *kr__event_new(kr__event_kind kind, size_t data_len, size_t extra)
{
    if (data_len > UINT32_MAX)
        return NULL;
    kr__event *e = kr__malloc(sizeof *e + data_len + extra);
    if (!e)
        return NULL;
    e->kind = (uint8_t)kind;
    e->inject = false;
    e->aux = 0;
    e->len = (uint32_t)data_len;
    return e;
}

void kr__event_free(kr__event *e) { kr__free(e); }

void kr__event_drop(kr__event *e)
{
    switch (e->kind) {
    case KR__EV_DISPATCH:
        if (e->u.dispatch.promise)
            kr_promise_free(e->u.dispatch.promise); /* pending: abandoned */
        break;
    case KR__EV_INTERNAL:
        if (e->u.internal.drop)
            e->u.internal.drop(NULL, e->data);
        break;
    case KR__EV_HTTP:
        kr__http_event_drop(e); /* answers, so no client hangs */
        break;
    default:
        break;
    }
    KR__COUNT(events_dropped);
    if (e->kind == KR__EV_MESSAGE)
        KR__COUNT(messages_dropped);
    kr__event_free(e);
}
