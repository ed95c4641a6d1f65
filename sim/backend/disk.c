/* The simulator's disks: one per node, in memory, outliving the node's
 * crashes and restarts (kairos/storage.h on the sim backend).
 *
 * Each file keeps what the node reads (the page cache) and what is durable
 * (as of its last sync), plus every write and truncate made since, in
 * order. kr_sim_crash keeps the page cache: nothing is lost. On
 * kr_sim_power_off each of those unsynced operations is, drawn from the
 * seed's power stream, kept, lost or torn: a torn write keeps a prefix
 * ending on a KR_SIM_SECTOR (512-byte) boundary of the file strictly inside
 * it (a write crossing no boundary is kept or lost whole; a truncate is
 * kept or lost). Creating and removing a file are durable at once, as the
 * real backend syncs the directory. kr_sim_disk_faults adds seeded KR_EIO
 * on writes, syncs and truncates (write_error) and on reads (read_error),
 * and reads that return one damaged byte (corrupt). The trace shows every
 * write, sync, fault and, at a power-off, each unsynced write's fate. */
#include "sim_internal.h"

#include <inttypes.h>

/* No file of the sim disk grows past this (KR_ENOSPC): a bad offset must
 * not exhaust memory. */
#define FILE_SIZE_MAX ((uint64_t)256 << 20)

typedef struct disk_op {
    uint64_t offset, len; /* a truncate: offset is the new size, len 0 */
    bool truncate;
    unsigned char *data;
} disk_op;

typedef struct sim_file {
    char name[KR_FILE_NAME_MAX + 1];
    unsigned char *data; /* what the node reads */
    uint64_t size, cap;
    unsigned char *durable; /* as of the last sync */
    uint64_t durable_size;
    disk_op *ops; /* since the last sync */
    size_t ops_len, ops_cap;
} sim_file;

struct kr__sim_disk {
    sim_file **files;
    size_t len, cap;
};

struct kr_file {
    size_t node;
    uint32_t incarnation; /* of the node when opened */
    kr_file *prev, *next; /* every open handle, so kr_finalize frees them */
    char name[KR_FILE_NAME_MAX + 1];
};

/* Handles not closed yet. A crashed process never closes its own (no
 * finalize runs), and its owner may still close it later, so a crash only
 * makes them fail (incarnation); kr_finalize frees what is left, as an OS
 * closes a dead process' files. */
static kr_file *open_handles;

/* ---- files ------------------------------------------------------------------ */

static void ops_clear(sim_file *f)
{
    for (size_t i = 0; i < f->ops_len; i++)
        kr__free(f->ops[i].data);
    f->ops_len = 0;
}

static void file_free(sim_file *f)
{
    ops_clear(f);
    kr__free(f->ops);
    kr__free(f->data);
    kr__free(f->durable);
    kr__free(f);
}

static long file_find(const kr__sim_disk *d, const char *name)
{
    for (size_t i = 0; d && i < d->len; i++)
        if (strcmp(d->files[i]->name, name) == 0)
            return (long)i;
    return -1;
}

/* Room for size bytes in *buf (cap in *cap); new bytes read as zeros. */
static int reserve(unsigned char **buf, uint64_t *cap, uint64_t size)
{
    if (size <= *cap)
        return 0;
    uint64_t n = *cap ? *cap : 256;
    while (n < size)
        n *= 2;
    unsigned char *grown = kr__realloc(*buf, (size_t)n);
    if (!grown)
        return KR_ENOMEM;
    memset(grown + *cap, 0, (size_t)(n - *cap));
    *buf = grown;
    *cap = n;
    return 0;
}

/* Sets f's readable size, zeroing what a shrink cut off (a later grow
 * must read zeros there). */
static int resize(sim_file *f, uint64_t size)
{
    int rc = reserve(&f->data, &f->cap, size);
    if (rc == 0 && size < f->size)
        memset(f->data + size, 0, (size_t)(f->size - size));
    if (rc == 0)
        f->size = size;
    return rc;
}

static sim_file *file_new(kr__sim_disk *d, const char *name)
{
    sim_file **grown = kr__grow(d->files, &d->cap, d->len, sizeof *grown, 8);
    sim_file *f = grown ? kr__calloc(1, sizeof *f) : NULL;
    if (grown)
        d->files = grown;
    if (!f)
        return NULL;
    snprintf(f->name, sizeof f->name, "%s", name);
    d->files[d->len++] = f;
    return f;
}

/* ---- draws ------------------------------------------------------------------ */

static bool fault(double p) { return p > 0 && kr__prng_unit(&kr__sim.disk) < p; }

static void emit(size_t node, const char *kind, const char *detail)
{
    const kr__sim_node *n = &kr__sim.nodes[node];
    kr__sim_emit(kind, n->address, kr__current_proc ? kr__current_proc->pid.id : "", detail,
                 KR_PID_NONE, KR_PID_NONE, NULL, 0);
}

/* A seeded KR_EIO, shown in the trace. */
static bool io_error(size_t node, double p, const char *call, const char *name)
{
    if (!fault(p))
        return false;
    kr__sim_hash(0x65696full); /* "eio" */
    char detail[KR_FILE_NAME_MAX + 48];
    snprintf(detail, sizeof detail, "%s %s: EIO", call, name);
    emit(node, "disk-error", detail);
    return true;
}

/* ---- the backend hooks -------------------------------------------------------- */

int kr__backend_file_open(const char *name, bool create, kr_file **out)
{
    size_t node = kr__sim_node_here();
    kr__sim_node *n = &kr__sim.nodes[node];
    if (!n->up)
        return KR_ESTATE; /* the driver's selected node is down */
    if (!n->disk && !(n->disk = kr__calloc(1, sizeof *n->disk)))
        return KR_ENOMEM;
    if (file_find(n->disk, name) < 0) {
        if (!create)
            return KR_ENOENT;
        if (!file_new(n->disk, name))
            return KR_ENOMEM;
    }
    kr_file *f = kr__malloc(sizeof *f);
    if (!f)
        return KR_ENOMEM;
    f->node = node;
    f->incarnation = n->incarnation;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->prev = NULL;
    f->next = open_handles;
    if (open_handles)
        open_handles->prev = f;
    open_handles = f;
    *out = f;
    return 0;
}

/* The file behind a handle, unless its node crashed since it was opened
 * (KR_ESTATE) or the file was removed (KR_ENOENT). */
static int file_of(const kr_file *h, sim_file **out)
{
    const kr__sim_node *n = &kr__sim.nodes[h->node];
    if (!n->up || n->incarnation != h->incarnation)
        return KR_ESTATE;
    long i = file_find(n->disk, h->name);
    if (i < 0)
        return KR_ENOENT;
    *out = n->disk->files[i];
    return 0;
}

static int op_append(sim_file *f, disk_op op)
{
    disk_op *grown = kr__grow(f->ops, &f->ops_cap, f->ops_len, sizeof *grown, 8);
    if (!grown)
        return KR_ENOMEM;
    f->ops = grown;
    f->ops[f->ops_len++] = op;
    return 0;
}

int kr__backend_file_write(kr_file *h, uint64_t offset, const void *buf, size_t len)
{
    sim_file *f;
    int rc = file_of(h, &f);
    if (rc != 0)
        return rc;
    if (io_error(h->node, kr__sim.nodes[h->node].disk_faults.write_error, "write", f->name))
        return KR_EIO;
    if (offset > FILE_SIZE_MAX || len > FILE_SIZE_MAX - offset)
        return KR_ENOSPC;
    disk_op op = {.offset = offset, .len = len, .data = kr__malloc(len)};
    if (!op.data)
        return KR_ENOMEM;
    memcpy(op.data, buf, len);
    uint64_t end = offset + len;
    if ((rc = (end > f->size ? resize(f, end) : 0)) != 0 || (rc = op_append(f, op)) != 0) {
        kr__free(op.data);
        return rc;
    }
    memcpy(f->data + offset, buf, len);
    kr__sim_hash(kr__hash_mix(offset, len));
    char detail[KR_FILE_NAME_MAX + 48];
    snprintf(detail, sizeof detail, "%s %" PRIu64 "+%zu", f->name, offset, len);
    emit(h->node, "write", detail);
    return 0;
}

int kr__backend_file_read(kr_file *h, uint64_t offset, void *buf, size_t len, size_t *got)
{
    sim_file *f;
    int rc = file_of(h, &f);
    if (rc != 0)
        return rc;
    const kr_sim_disk *faults = &kr__sim.nodes[h->node].disk_faults;
    if (io_error(h->node, faults->read_error, "read", f->name))
        return KR_EIO;
    uint64_t n = offset >= f->size ? 0 : f->size - offset;
    if (n > len)
        n = len;
    if (n)
        memcpy(buf, f->data + offset, (size_t)n);
    *got = (size_t)n;
    if (n && fault(faults->corrupt)) { /* a damaged sector: one byte flipped */
        size_t at = (size_t)kr__prng_below(&kr__sim.disk, n);
        ((unsigned char *)buf)[at] ^= (unsigned char)(1 + kr__prng_below(&kr__sim.disk, 255));
        kr__sim_hash(0x636f7272ull ^ at); /* "corr" */
        char detail[KR_FILE_NAME_MAX + 64];
        snprintf(detail, sizeof detail, "read %s: byte %" PRIu64 " corrupted", f->name,
                 offset + at);
        emit(h->node, "disk-error", detail);
    }
    return 0;
}

int kr__backend_file_sync(kr_file *h)
{
    sim_file *f;
    int rc = file_of(h, &f);
    if (rc != 0)
        return rc;
    if (io_error(h->node, kr__sim.nodes[h->node].disk_faults.write_error, "sync", f->name))
        return KR_EIO;
    unsigned char *copy = kr__malloc(f->size ? (size_t)f->size : 1);
    if (!copy)
        return KR_ENOMEM;
    if (f->size)
        memcpy(copy, f->data, (size_t)f->size);
    kr__free(f->durable);
    f->durable = copy;
    f->durable_size = f->size;
    char detail[KR_FILE_NAME_MAX + 48];
    snprintf(detail, sizeof detail, "%s %zu writes, %" PRIu64 " bytes", f->name, f->ops_len,
             f->size);
    ops_clear(f);
    kr__sim_hash(0x73796e63ull ^ f->size); /* "sync" */
    emit(h->node, "sync", detail);
    return 0;
}

int kr__backend_file_size(kr_file *h, uint64_t *size)
{
    sim_file *f;
    int rc = file_of(h, &f);
    if (rc == 0)
        *size = f->size;
    return rc;
}

int kr__backend_file_truncate(kr_file *h, uint64_t size)
{
    sim_file *f;
    int rc = file_of(h, &f);
    if (rc != 0)
        return rc;
    if (io_error(h->node, kr__sim.nodes[h->node].disk_faults.write_error, "truncate", f->name))
        return KR_EIO;
    if (size > FILE_SIZE_MAX)
        return KR_ENOSPC;
    if ((rc = op_append(f, (disk_op){.offset = size, .truncate = true})) != 0)
        return rc;
    if ((rc = resize(f, size)) != 0) {
        f->ops_len--;
        return rc;
    }
    kr__sim_hash(0x7472756eull ^ size); /* "trun" */
    return 0;
}

void kr__backend_file_close(kr_file *h)
{
    if (h->prev)
        h->prev->next = h->next;
    else
        open_handles = h->next;
    if (h->next)
        h->next->prev = h->prev;
    kr__free(h);
}

int kr__backend_file_remove(const char *name)
{
    size_t node = kr__sim_node_here();
    kr__sim_disk *d = kr__sim.nodes[node].disk;
    if (!kr__sim.nodes[node].up)
        return KR_ESTATE;
    long i = file_find(d, name);
    if (i < 0)
        return KR_ENOENT;
    file_free(d->files[i]);
    memmove(&d->files[i], &d->files[i + 1], (d->len - (size_t)i - 1) * sizeof *d->files);
    d->len--;
    kr__sim_hash(0x726d ^ (uint64_t)i); /* "rm" */
    return 0;
}

int kr_sim_disk_faults(const char *address, const kr_sim_disk *d)
{
    if (!d || !(d->write_error >= 0 && d->write_error <= 1) ||
        !(d->read_error >= 0 && d->read_error <= 1) || !(d->corrupt >= 0 && d->corrupt <= 1))
        return KR_EINVAL;
    int err;
    long i = kr__sim_node_get(address, true, &err);
    if (i < 0)
        return err;
    kr__sim.nodes[i].disk_faults = *d;
    return 0;
}

/* ---- power loss ------------------------------------------------------------- */

typedef enum { FATE_KEPT, FATE_LOST, FATE_TORN } fate;

/* How much of op survives: its whole length, none, or a sector prefix. */
static uint64_t op_fate(const disk_op *op, fate *out)
{
    uint64_t first = (op->offset / KR_SIM_SECTOR + 1) * KR_SIM_SECTOR;
    uint64_t end = op->offset + op->len;
    uint64_t boundaries = !op->truncate && first < end ? (end - 1 - first) / KR_SIM_SECTOR + 1 : 0;
    *out = (fate)kr__prng_below(&kr__sim.power, boundaries ? 3 : 2);
    if (*out == FATE_KEPT)
        return op->len;
    if (*out == FATE_LOST)
        return 0;
    return first + kr__prng_below(&kr__sim.power, boundaries) * KR_SIM_SECTOR - op->offset;
}

static void report_fate(size_t node, const sim_file *f, const disk_op *op, fate fa, uint64_t kept)
{
    static const char *const kinds[] = {"write-kept", "write-lost", "write-torn"};
    char detail[KR_FILE_NAME_MAX + 80];
    if (op->truncate)
        snprintf(detail, sizeof detail, "%s truncate to %" PRIu64, f->name, op->offset);
    else if (fa == FATE_TORN)
        snprintf(detail, sizeof detail, "%s %" PRIu64 "+%" PRIu64 " (first %" PRIu64 " kept)",
                 f->name, op->offset, op->len, kept);
    else
        snprintf(detail, sizeof detail, "%s %" PRIu64 "+%" PRIu64, f->name, op->offset, op->len);
    kr__sim_hash(kr__hash_mix(op->offset, (uint64_t)fa << 32 | (kept & 0xffffffffu)));
    emit(node, kinds[fa], detail);
}

/* Rebuilds f from its durable content and the fates of its unsynced
 * operations, in the order they were made. */
static void lose_unsynced(size_t node, sim_file *f)
{
    unsigned char *content = f->durable;
    uint64_t size = f->durable_size, cap = f->durable_size;
    f->durable = NULL;
    for (size_t i = 0; i < f->ops_len; i++) {
        const disk_op *op = &f->ops[i];
        fate fa;
        uint64_t kept = op_fate(op, &fa);
        report_fate(node, f, op, fa, kept);
        if (fa == FATE_LOST)
            continue;
        uint64_t new_size = op->truncate ? op->offset : op->offset + kept;
        if (!op->truncate && new_size < size)
            new_size = size;
        if (reserve(&content, &cap, new_size) != 0)
            continue; /* out of memory: as if this one was lost */
        if (new_size < size)
            memset(content + new_size, 0, (size_t)(size - new_size));
        size = new_size;
        if (!op->truncate && kept)
            memcpy(content + op->offset, op->data, (size_t)kept);
    }
    ops_clear(f);
    kr__free(f->data);
    f->data = content;
    f->size = size;
    f->cap = cap;
    f->durable = NULL;
    f->durable_size = 0;
    /* What survived is on the platter now. */
    unsigned char *copy = kr__malloc(size ? (size_t)size : 1);
    if (copy) {
        if (size)
            memcpy(copy, content, (size_t)size);
        f->durable = copy;
        f->durable_size = size;
    }
}

void kr__sim_disk_power_loss(size_t node)
{
    kr__sim_disk *d = kr__sim.nodes[node].disk;
    for (size_t i = 0; d && i < d->len; i++)
        if (d->files[i]->ops_len)
            lose_unsynced(node, d->files[i]);
}

void kr__sim_disks_reset(void)
{
    while (open_handles)
        kr__backend_file_close(open_handles);
    for (size_t n = 0; n < kr__sim.node_count; n++) { /* disks belong to existing nodes */
        kr__sim_disk *d = kr__sim.nodes[n].disk;
        if (!d)
            continue;
        for (size_t i = 0; i < d->len; i++)
            file_free(d->files[i]);
        kr__free(d->files);
        kr__free(d);
        kr__sim.nodes[n].disk = NULL;
    }
}
