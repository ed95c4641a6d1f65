/* Every fault of the harsh simulated world at once, for determinism checks
 * (.ci/determinism.sh): three nodes each run a "journal" process that, on
 * its own node's clock, appends records to a file (syncing every third),
 * forwards each to the next node, and stores what it receives. Meanwhile
 * the driver skews and drifts clocks, jumps one, pauses a node, cuts one
 * direction, powers a node off (unsynced writes kept, lost or torn),
 * crashes another, restarts both, and turns on seeded disk faults.
 *
 *   harsh_world_sim SEED   prints "seed=N trace_hash=0x... steps=S
 *                          survived=B": the same seed, the same line. */
#include <kairos/kairos.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODES 3
static const char *const address[NODES] = {"10.0.0.1:5050", "10.0.0.2:5050", "10.0.0.3:5050"};

typedef struct journal {
    kr_process base;
    int node;
    uint32_t appended;
    kr_file *log, *inbox;
} journal;

static journal journals[NODES];
static uint64_t io_failures; /* seeded disk faults met */

static void append(kr_file *f, const void *rec, size_t len)
{
    uint64_t size = 0;
    if (!f || kr_file_size(f, &size) != 0)
        return;
    if (kr_file_write(f, size, rec, len) != 0)
        io_failures++;
}

static void tick(kr_process *self, const void *arg)
{
    (void)arg;
    journal *j = (journal *)self;
    char rec[48];
    int n = snprintf(rec, sizeof rec, "node %d record %" PRIu32 "\n", j->node, j->appended++);
    append(j->log, rec, (size_t)n);
    if (j->appended % 3 == 0 && kr_file_sync(j->log) != 0)
        io_failures++;
    kr_pid next;
    char text[64];
    snprintf(text, sizeof text, "journal@%s", address[(j->node + 1) % NODES]);
    if (kr_pid_parse(text, &next) == 0)
        kr_send(self, next, "record", rec, (size_t)n);
    kr_delay(KR_MSEC(10), kr_self(self), tick, NULL, 0);
}

static void on_record(kr_process *self, const kr_message *m)
{
    journal *j = (journal *)self;
    append(j->inbox, m->body, m->len);
    char buf[64];
    size_t got = 0;
    if (j->inbox && kr_file_read(j->inbox, 0, buf, sizeof buf, &got) != 0)
        io_failures++;
}

static void journal_init(kr_process *self)
{
    journal *j = (journal *)self;
    kr_install(self, "record", on_record);
    if (kr_file_open("journal/log", KR_FILE_CREATE, &j->log) != 0)
        j->log = NULL;
    if (kr_file_open("journal/inbox", KR_FILE_CREATE, &j->inbox) != 0)
        j->inbox = NULL;
    kr_delay(KR_MSEC(10), kr_self(self), tick, NULL, 0);
}

static void journal_finalize(kr_process *self)
{
    journal *j = (journal *)self;
    kr_file_close(j->log);
    kr_file_close(j->inbox);
}

static const kr_process_ops journal_ops = {.initialize = journal_init,
                                           .finalize = journal_finalize};

static void start(const char *addr, void *ctx)
{
    (void)addr;
    journal *j = ctx;
    kr_file_close(j->log); /* a crashed incarnation's handles: stale now */
    kr_file_close(j->inbox);
    int node = j->node;
    memset(j, 0, sizeof *j);
    j->node = node;
    kr_process_init(&j->base, "journal", &journal_ops);
    kr_spawn(&j->base, false);
}

/* Steps until virtual time reaches t (ms since the start). */
static void run_until_ms(int64_t t)
{
    while (kr_sim_elapsed() < KR_MSEC(t) && kr_sim_step()) {
    }
}

int main(int argc, char **argv)
{
    kr_config c = {0};
    c.seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    if (c.seed == 0)
        c.seed = 1;
    if (kr_init(&c) != 0)
        return 1;
    kr_sim_event_cost(KR_USEC(50));
    kr_sim_failure_detection(KR_MSEC(300));
    kr_sim_net net = {.latency_min = KR_MSEC(1), .latency_max = KR_MSEC(8), .drop = 0.01};
    kr_sim_network(&net);
    for (int i = 0; i < NODES; i++) {
        journals[i].node = i;
        kr_sim_on_start(address[i], start, &journals[i]);
    }
    kr_sim_clock_skew(address[1], KR_MSEC(250), 1e-3);
    kr_sim_clock_skew(address[2], -KR_MSEC(40), -2e-3);
    kr_sim_disk_faults(address[0],
                       &(kr_sim_disk){.write_error = 0.02, .read_error = 0.02, .corrupt = 0.05});
    run_until_ms(100);
    kr_sim_pause(address[0], KR_MSEC(60));
    kr_sim_cut(address[2], address[0]);
    run_until_ms(200);
    kr_sim_power_off(address[1]);
    kr_sim_clock_skew(address[2], KR_SEC(3), 0); /* a jump */
    run_until_ms(300);
    kr_sim_heal();
    kr_sim_restart(address[1]);
    kr_sim_crash(address[2]);
    run_until_ms(400);
    kr_sim_restart(address[2]);
    run_until_ms(500);

    kr_sim_node(address[1]);
    kr_file *f = NULL;
    uint64_t survived = 0;
    if (kr_file_open("journal/log", 0, &f) == 0)
        kr_file_size(f, &survived);
    kr_file_close(f);
    printf("seed=%" PRIu64 " trace_hash=0x%016" PRIx64 " steps=%" PRIu64 " survived=%" PRIu64
           " io_failures=%" PRIu64 "\n",
           kr_sim_seed(), kr_sim_trace_hash(), kr_sim_steps(), survived, io_failures);
    kr_finalize();
    return 0;
}
