/* kr_protobuf_*: typed protobuf-c messages on top of kr_install/kr_send.
 *
 * kr_install's handlers carry no context, so one generic handler decodes
 * every protobuf message: a small table maps (process, type name) to the
 * descriptor and the typed handler. A process only ever reaches its own
 * entries, from its own context, but the table is shared, hence the lock.
 * An entry outlives its process (a new process at the same address that
 * installs the same type replaces it), so the table is bounded by the
 * number of distinct (process, type) pairs a program installs. */
#include <kairos/protobuf.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    const kr_process *owner;
    const ProtobufCMessageDescriptor *d;
    kr_protobuf_fn fn;
} entry;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static entry *table;
static size_t table_len, table_cap;
static atomic_uint_fast64_t malformed;
static kr_metric *malformed_metric; /* registered on first use */

static entry *find(const kr_process *owner, const char *name)
{
    for (size_t i = 0; i < table_len; i++)
        if (table[i].owner == owner && strcmp(table[i].d->name, name) == 0)
            return &table[i];
    return NULL;
}

static void count_malformed(const kr_message *m)
{
    atomic_fetch_add(&malformed, 1);
    pthread_mutex_lock(&table_lock);
    if (!malformed_metric && kr_metric_counter("kairos/protobuf_malformed", &malformed_metric) != 0)
        malformed_metric = NULL;
    kr_metric *metric = malformed_metric;
    pthread_mutex_unlock(&table_lock);
    kr_metric_increment(metric);
    char from[KR_PID_STRLEN_MAX];
    kr_pid_format(m->from, from, sizeof from);
    fprintf(stderr, "kairos: protobuf %s from %s: %zu-byte body does not decode; dropped\n",
            m->name, from, m->len);
}

static void on_protobuf(kr_process *self, const kr_message *m)
{
    pthread_mutex_lock(&table_lock);
    entry *e = find(self, m->name);
    entry copy = e ? *e : (entry){0};
    pthread_mutex_unlock(&table_lock);
    if (!copy.fn)
        return;
    ProtobufCMessage *msg =
        protobuf_c_message_unpack(copy.d, NULL, m->len, (const uint8_t *)m->body);
    if (!msg) {
        count_malformed(m);
        return;
    }
    copy.fn(self, m->from, msg);
    protobuf_c_message_free_unpacked(msg, NULL);
}

int kr_protobuf_install(kr_process *self, const ProtobufCMessageDescriptor *d, kr_protobuf_fn fn)
{
    if (!self || !d || !fn || d->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
        return KR_EINVAL;
    int rc = 0;
    pthread_mutex_lock(&table_lock);
    entry *e = find(self, d->name);
    if (!e && table_len == table_cap) {
        size_t cap = table_cap ? table_cap * 2 : 8;
        entry *grown = realloc(table, cap * sizeof *grown);
        if (grown) {
            table = grown;
            table_cap = cap;
        }
    }
    if (!e && table_len < table_cap)
        e = &table[table_len++];
    if (e)
        *e = (entry){self, d, fn};
    else
        rc = KR_ENOMEM;
    pthread_mutex_unlock(&table_lock);
    return rc ? rc : kr_install(self, d->name, on_protobuf);
}

int kr_protobuf_send(kr_process *self, kr_pid to, const ProtobufCMessage *msg)
{
    if (!msg || !msg->descriptor)
        return KR_EINVAL;
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return KR_ENOMEM;
    protobuf_c_message_pack(msg, buf);
    if (self)
        kr_send(self, to, msg->descriptor->name, buf, len);
    else
        kr_post(to, msg->descriptor->name, buf, len);
    free(buf);
    return 0;
}

uint64_t kr_protobuf_malformed(void) { return atomic_load(&malformed); }
