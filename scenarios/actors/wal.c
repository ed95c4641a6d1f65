/* A small replicated write-ahead log, with a planted ack-before-sync bug.
 *
 * `wal-primary` appends one record per `every` to its file "wal" (write,
 * then sync), and replicates it to `backup` ("replicate", the record). The
 * backup writes the record to its own "wal" at the record's offset and
 * acknowledges it ("ack"); a record is committed (acknowledged to the
 * client) once the backup acked it. When the backup (re)starts it recovers
 * from its disk: the longest prefix of whole records with good checksums,
 * and says how many it has ("hello"); the primary resends from there. A
 * backup that recovered fewer records than were committed would, taking
 * over, lose acknowledged writes: the primary checks it at the hello.
 *
 * The planted bug (`ack_before_sync: true` on the backup): it acknowledges
 * each record before syncing it, and syncs only every `sync_every` records.
 * A process crash (kr_sim_crash) keeps the page cache, so nothing is lost
 * and no crash-only sweep can see it; a power-off loses (or tears) the
 * unsynced, already acknowledged records, and the check fails. */
#include <kairos/scenario.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORD 64 /* bytes: seq (8), payload (48), checksum (8) */

typedef struct wal_primary {
    kr_process base;
    kr_pid backup;
    int64_t count, appended, committed;
    kr_duration every;
    kr_file *log;
} wal_primary;

typedef struct wal_backup {
    kr_process base;
    kr_pid primary;
    bool ack_before_sync;
    int64_t sync_every, have, recovered;
    kr_file *log;
} wal_backup;

static uint64_t checksum(const unsigned char *rec)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < RECORD - 8; i++)
        h = (h ^ rec[i]) * 0x100000001b3ull;
    return h;
}

static void record_make(int64_t seq, unsigned char *rec)
{
    memset(rec, 0, RECORD);
    memcpy(rec, &seq, sizeof seq);
    snprintf((char *)rec + 8, 48, "record %lld", (long long)seq);
    uint64_t sum = checksum(rec);
    memcpy(rec + RECORD - 8, &sum, sizeof sum);
}

static bool record_ok(const unsigned char *rec, int64_t seq)
{
    int64_t got;
    uint64_t sum;
    memcpy(&got, rec, sizeof got);
    memcpy(&sum, rec + RECORD - 8, sizeof sum);
    return got == seq && sum == checksum(rec);
}

/* ---- primary -------------------------------------------------------------- */

static void primary_send(wal_primary *p, int64_t seq)
{
    unsigned char rec[RECORD];
    record_make(seq, rec);
    kr_send(&p->base, p->backup, "replicate", rec, sizeof rec);
}

static void primary_tick(kr_process *self, const void *arg)
{
    (void)arg;
    wal_primary *p = (wal_primary *)self;
    if (p->appended >= p->count)
        return;
    unsigned char rec[RECORD];
    record_make(p->appended, rec);
    if (!p->log || kr_file_write(p->log, (uint64_t)p->appended * RECORD, rec, RECORD) != 0 ||
        kr_file_sync(p->log) != 0) {
        kr_probe("wal: primary write failed");
    } else {
        primary_send(p, p->appended++);
    }
    kr_delay(p->every, kr_self(self), primary_tick, NULL, 0);
}

static void primary_ack(kr_process *self, const kr_message *m)
{
    wal_primary *p = (wal_primary *)self;
    int64_t seq;
    if (m->len != sizeof seq)
        return;
    memcpy(&seq, m->body, sizeof seq);
    if (seq == p->committed)
        p->committed++; /* acknowledged to the client */
}

/* The backup (re)started with `have` records: were any committed ones lost? */
static void primary_hello(kr_process *self, const kr_message *m)
{
    wal_primary *p = (wal_primary *)self;
    int64_t have;
    if (m->len != sizeof have)
        return;
    memcpy(&have, m->body, sizeof have);
    kr_sometimes(have > 0, "wal: backup recovered records");
    kr_check(have >= p->committed,
             "acknowledged writes lost: the backup recovered %lld records from its disk, but "
             "%lld were committed (acknowledged to the client)",
             (long long)have, (long long)p->committed);
    if (have < p->committed)
        p->committed = have;
    for (int64_t seq = have; seq < p->appended; seq++)
        primary_send(p, seq);
}

static void primary_init(kr_process *self)
{
    wal_primary *p = (wal_primary *)self;
    kr_install(self, "ack", primary_ack);
    kr_install(self, "hello", primary_hello);
    if (kr_file_open("wal", KR_FILE_CREATE, &p->log) != 0)
        p->log = NULL;
    kr_delay(p->every, kr_self(self), primary_tick, NULL, 0);
}

static void primary_finalize(kr_process *self) { kr_file_close(((wal_primary *)self)->log); }

static const kr_process_ops primary_ops = {.initialize = primary_init,
                                           .finalize = primary_finalize};

static kr_process *primary_new(const char *id, const kr_sc_args *args)
{
    wal_primary *p = calloc(1, sizeof *p);
    if (!p || kr_sc_require(args, "backup") != 0 || kr_sc_pid(args, "backup", &p->backup) != 0 ||
        kr_sc_int(args, "count", 1, 1000000, 40, &p->count) != 0 ||
        kr_sc_duration(args, "every", KR_MSEC(10), &p->every) != 0 || p->every <= 0) {
        free(p);
        return NULL;
    }
    kr_process_init(&p->base, id, &primary_ops);
    return &p->base;
}

/* ---- backup --------------------------------------------------------------- */

static void backup_sync(wal_backup *b)
{
    if (kr_file_sync(b->log) != 0)
        kr_probe("wal: backup sync failed");
}

static void backup_replicate(kr_process *self, const kr_message *m)
{
    wal_backup *b = (wal_backup *)self;
    int64_t seq;
    if (m->len != RECORD || !b->log)
        return;
    memcpy(&seq, m->body, sizeof seq);
    if (seq != b->have)
        return; /* a gap (from before a restart) or a duplicate */
    if (kr_file_write(b->log, (uint64_t)seq * RECORD, m->body, RECORD) != 0)
        return; /* not acknowledged: the primary resends after a hello */
    b->have++;
    if (b->ack_before_sync) {
        /* The bug: acknowledged while only in the page cache. */
        kr_send(self, b->primary, "ack", &seq, sizeof seq);
        if (b->have % b->sync_every == 0)
            backup_sync(b);
        return;
    }
    backup_sync(b);
    kr_send(self, b->primary, "ack", &seq, sizeof seq);
}

/* Recovery: the longest prefix of whole, intact records. */
static void backup_recover(wal_backup *b)
{
    unsigned char rec[RECORD];
    size_t got = 0;
    while (kr_file_read(b->log, (uint64_t)b->have * RECORD, rec, RECORD, &got) == 0 &&
           got == RECORD && record_ok(rec, b->have))
        b->have++;
    b->recovered = b->have;
    /* Anything after it is garbage (a torn record): cut it off. */
    if (kr_file_truncate(b->log, (uint64_t)b->have * RECORD) == 0)
        backup_sync(b);
}

static void backup_init(kr_process *self)
{
    wal_backup *b = (wal_backup *)self;
    kr_install(self, "replicate", backup_replicate);
    if (kr_file_open("wal", KR_FILE_CREATE, &b->log) != 0) {
        b->log = NULL;
        return;
    }
    backup_recover(b);
    kr_send(self, b->primary, "hello", &b->have, sizeof b->have);
}

static void backup_finalize(kr_process *self) { kr_file_close(((wal_backup *)self)->log); }

static const kr_process_ops backup_ops = {.initialize = backup_init,
                                          .finalize = backup_finalize};

static kr_process *backup_new(const char *id, const kr_sc_args *args)
{
    wal_backup *b = calloc(1, sizeof *b);
    if (!b || kr_sc_require(args, "primary") != 0 || kr_sc_pid(args, "primary", &b->primary) != 0 ||
        kr_sc_bool(args, "ack_before_sync", false, &b->ack_before_sync) != 0 ||
        kr_sc_int(args, "sync_every", 1, 1000000, 4, &b->sync_every) != 0) {
        free(b);
        return NULL;
    }
    kr_process_init(&b->base, id, &backup_ops);
    return &b->base;
}

void kairos_register_wal(void);
void kairos_register_wal(void)
{
    kr_actor_register("wal-primary", primary_new,
                      "appends `count` records, `every` apart: write, sync, replicate to `backup`");
    kr_actor_register("wal-backup", backup_new,
                      "stores replicated records, recovers from its disk on start; "
                      "`ack_before_sync: true` plants the bug (sync every `sync_every`)");
}

__attribute__((constructor)) static void register_on_load(void) { kairos_register_wal(); }
