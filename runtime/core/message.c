/* Named messages: handler tables, send and post. */
#include "backend.h"
#include "internal.h"

struct kr__handlers {
    uint32_t len, cap;
    struct handler {
        char *name;
        kr_message_fn fn; /* NULL while only delegated */
        size_t name_len;
        kr_pid *delegate; /* NULL: not delegated; out of line, so the table
                             stays small for the hot lookup */
    } items[];
};

/* Lengths first: most lookups are decided without touching the names. */
static struct handler *find_handler_n(kr__proc *p, const char *name, size_t name_len)
{
    kr__handlers *h = p->handlers;
    for (uint32_t i = 0; h && i < h->len; i++)
        if (h->items[i].name_len == name_len && memcmp(h->items[i].name, name, name_len) == 0)
            return &h->items[i];
    return NULL;
}

static struct handler *find_handler(kr__proc *p, const char *name)
{
    return find_handler_n(p, name, strlen(name));
}

/* The entry for name, added if missing (NULL when out of memory). */
static struct handler *handler_entry(kr__proc *p, const char *name)
{
    struct handler *existing = find_handler(p, name);
    if (existing)
        return existing;
    kr__handlers *h = p->handlers;
    if (!h || h->len == h->cap) {
        uint32_t cap = h ? h->cap * 2 : 4;
        kr__handlers *grown = kr__realloc(h, sizeof *h + cap * sizeof h->items[0]);
        if (!grown)
            return NULL;
        if (!h)
            grown->len = 0;
        grown->cap = cap;
        p->handlers = h = grown;
    }
    char *copy = kr__strdup(name);
    if (!copy)
        return NULL;
    h->items[h->len] = (struct handler){
        .name = copy, .fn = NULL, .name_len = strlen(copy), .delegate = NULL};
    return &h->items[h->len++];
}

int kr_install(kr_process *self, const char *name, kr_message_fn fn)
{
    if (!self || !name || !fn) {
        kr__log("kr_install: NULL argument");
        return KR_EINVAL;
    }
    if (strlen(name) > KR_NAME_MAX)
        return KR_EINVAL;
    struct handler *h = handler_entry(kr__proc_of(self), name);
    if (!h)
        return KR_ENOMEM;
    h->fn = fn; /* a later install overwrites, as in libprocess */
    return 0;
}

int kr_delegate(kr_process *self, const char *name, kr_pid to)
{
    if (!self || !name) {
        kr__log("kr_delegate: NULL argument");
        return KR_EINVAL;
    }
    if (strlen(name) > KR_NAME_MAX)
        return KR_EINVAL;
    kr__proc *p = kr__proc_of(self);
    if (kr_pid_is_none(to)) { /* undelegate */
        struct handler *h = find_handler(p, name);
        if (h) {
            kr__free(h->delegate);
            h->delegate = NULL;
        }
        return 0;
    }
    struct handler *h = handler_entry(p, name);
    if (!h)
        return KR_ENOMEM;
    if (!h->delegate && !(h->delegate = kr__malloc(sizeof *h->delegate)))
        return KR_ENOMEM;
    *h->delegate = to;
    return 0;
}

void kr__handlers_free(kr__proc *p)
{
    kr__handlers *h = p->handlers;
    for (uint32_t i = 0; h && i < h->len; i++) {
        kr__free(h->items[i].name);
        kr__free(h->items[i].delegate);
    }
    kr__free(h);
    p->handlers = NULL;
}

/* A message event; name_len = strlen(name) <= KR_NAME_MAX. */
static kr__event *message_event(const kr_pid *from, const char *name, size_t name_len,
                                const void *body, size_t len)
{
    kr__event *e = kr__event_new(KR__EV_MESSAGE, len, name_len + 1);
    if (!e)
        return NULL;
    e->u.msg.from = *from;
    if (len)
        memcpy(e->data, body, len);
    char *name_copy = (char *)e->data + len;
    memcpy(name_copy, name, name_len + 1);
    e->u.msg.name = name_copy;
    e->aux = (uint8_t)name_len;
    return e;
}

kr__event *kr__message_event(kr_pid from, kr_pid to, const char *name, const void *body,
                             size_t len)
{
    (void)to;
    return message_event(&from, name, strlen(name), body, len);
}

static void transport(const kr_pid *from, const kr_pid *to, const char *name, const void *body,
                      size_t len);

void kr__message_serve(kr__proc *p, kr__event *e)
{
    /* aux holds the name's length (0 for "", or an event made elsewhere). */
    size_t name_len = e->aux ? e->aux : strlen(e->u.msg.name);
    struct handler *h = find_handler_n(p, e->u.msg.name, name_len);
    if (h && h->delegate) {
        /* libprocess' delegate: forwarded as sent, the sender unchanged. */
        transport(&e->u.msg.from, h->delegate, e->u.msg.name, e->data, e->len);
        return;
    }
    if (!h || !h->fn) {
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

#define BACKLOG_HINT 64

static void deliver_local(const kr_pid *from, const kr_pid *to, const char *name,
                          size_t name_len, const void *body, size_t len)
{
    bool release;
    kr__proc *p = kr__table_acquire_send(to, &release);
    if (!p) {
        KR__COUNT(messages_dropped);
        return;
    }
    kr__event *e = message_event(from, name, name_len, body, len);
    if (e) {
        kr__enqueue(p, e);
        if (atomic_load_explicit(&p->pending, memory_order_relaxed) == BACKLOG_HINT)
            kr__backend_backlog(p);
    } else {
        KR__COUNT(messages_dropped);
    }
    if (release)
        kr__table_release(p);
}

static void transport(const kr_pid *from, const kr_pid *to, const char *name, const void *body,
                      size_t len)
{
    if (!name || (!body && len)) {
        kr__log("kr_send/kr_post: NULL %s", name ? "body" : "name");
        return;
    }
    size_t name_len = strlen(name);
    if (name_len > KR_NAME_MAX) {
        kr__log("kr_send/kr_post: message name over %d bytes", KR_NAME_MAX);
        return;
    }
    if (to->id[0] == '\0')
        return; /* ignored, as libprocess ignores a send to UPID() */
    KR__COUNT(messages_sent);
    if (kr__backend_remote(from, to))
        kr__backend_send_remote(*from, *to, name, body, len);
    else
        deliver_local(from, to, name, name_len, body, len);
}

void kr_send(kr_process *self, kr_pid to, const char *name, const void *body, size_t len)
{
    if (!self) {
        transport(&KR_PID_NONE, &to, name, body, len);
        return;
    }
    const kr__proc *p = kr__proc_of(self);
    if (p->pid.ip != 0 || p->pid.port != 0 || p->pid.id[0] == '\0') {
        transport(&p->pid, &to, name, body, len); /* what kr_self would return */
        return;
    }
    kr_pid from = kr_self(self); /* not spawned yet: fills in this node */
    transport(&from, &to, name, body, len);
}

void kr_post(kr_pid to, const char *name, const void *body, size_t len)
{
    transport(&KR_PID_NONE, &to, name, body, len);
}
