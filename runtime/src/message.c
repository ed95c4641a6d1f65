/* Named messages: handler tables, send and post. */
#include "backend.h"

struct kr__handlers {
    uint32_t len, cap;
    struct handler {
        char *name;
        kr_message_fn fn;
    } items[];
};

static struct handler *find_handler(kr__proc *p, const char *name)
{
    kr__handlers *h = p->handlers;
    for (uint32_t i = 0; h && i < h->len; i++)
        if (strcmp(h->items[i].name, name) == 0)
            return &h->items[i];
    return NULL;
}

int kr_install(kr_process *self, const char *name, kr_message_fn fn)
{
    if (!self || !name || !fn) {
        kr__log("kr_install: NULL argument");
        return KR_EINVAL;
    }
    if (strlen(name) > KR_NAME_MAX)
        return KR_EINVAL;
    kr__proc *p = kr__proc_of(self);
    struct handler *existing = find_handler(p, name);
    if (existing) {
        existing->fn = fn; /* a later install overwrites, as in libprocess */
        return 0;
    }
    kr__handlers *h = p->handlers;
    if (!h || h->len == h->cap) {
        uint32_t cap = h ? h->cap * 2 : 4;
        kr__handlers *grown = kr__realloc(h, sizeof *h + cap * sizeof h->items[0]);
        if (!grown)
            return KR_ENOMEM;
        if (!h)
            grown->len = 0;
        grown->cap = cap;
        p->handlers = h = grown;
    }
    char *copy = kr__strdup(name);
    if (!copy)
        return KR_ENOMEM;
    h->items[h->len++] = (struct handler){.name = copy, .fn = fn};
    return 0;
}

void kr__handlers_free(kr__proc *p)
{
    kr__handlers *h = p->handlers;
    for (uint32_t i = 0; h && i < h->len; i++)
        kr__free(h->items[i].name);
    kr__free(h);
    p->handlers = NULL;
}

kr__event *kr__message_event(kr_pid from, kr_pid to, const char *name, const void *body,
                             size_t len)
{
    (void)to;
    size_t name_len = strlen(name) + 1;
    kr__event *e = kr__event_new(KR__EV_MESSAGE, len, name_len);
    if (!e)
        return NULL;
    e->u.msg.from = from;
    if (len)
        memcpy(e->data, body, len);
    char *name_copy = (char *)e->data + len;
    memcpy(name_copy, name, name_len);
    e->u.msg.name = name_copy;
    return e;
}

void kr__message_serve(kr__proc *p, kr__event *e)
{
    struct handler *h = find_handler(p, e->u.msg.name);
    if (!h) {
        KR__COUNT(messages_dropped); /* no handler: dropped, as libprocess */
        return;
    }
    kr_message m = {.from = e->u.msg.from,
                    .to = p->pid,
                    .name = e->u.msg.name,
                    .body = e->data,
                    .len = e->len};
    KR__COUNT(messages_delivered);
    h->fn(kr__process_of(p), &m);
}

void kr__message_deliver_local(kr_pid from, kr_pid to, const char *name, const void *body,
                               size_t len)
{
    kr__proc *p = kr__table_acquire(to);
    if (!p) {
        KR__COUNT(messages_dropped);
        return;
    }
    kr__event *e = kr__message_event(from, to, name, body, len);
    if (e)
        kr__enqueue(p, e);
    else
        KR__COUNT(messages_dropped);
    kr__table_release(p);
}

static void transport(kr_pid from, kr_pid to, const char *name, const void *body, size_t len)
{
    if (!name || (!body && len)) {
        kr__log("kr_send/kr_post: NULL %s", name ? "body" : "name");
        return;
    }
    if (strlen(name) > KR_NAME_MAX) {
        kr__log("kr_send/kr_post: message name over %d bytes", KR_NAME_MAX);
        return;
    }
    if (kr_pid_is_none(to))
        return; /* ignored, as libprocess ignores a send to UPID() */
    KR__COUNT(messages_sent);
    if (kr__backend_remote(from, to))
        kr__backend_send_remote(from, to, name, body, len);
    else
        kr__message_deliver_local(from, to, name, body, len);
}

void kr_send(kr_process *self, kr_pid to, const char *name, const void *body, size_t len)
{
    transport(self ? kr_self(self) : KR_PID_NONE, to, name, body, len);
}

void kr_post(kr_pid to, const char *name, const void *body, size_t len)
{
    transport(KR_PID_NONE, to, name, body, len);
}
