/* Two processes play ping-pong: "pinger" sends ROUNDS numbered "ping"
 * messages, one at a time, and "ponger" answers each with a "pong" carrying
 * the same number. After the last pong the pinger terminates itself; main()
 * waits for it and reports.
 *
 * The same file builds against both libraries:
 *   pingpong_real  (kairos)      prints the round-trip count;
 *   pingpong_sim   (kairos_sim)  takes a seed from argv[1] and prints
 *                  "seed=N trace_hash=0x... steps=S": the same seed always
 *                  gives the same hash. */
#include <kairos/kairos.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 10

typedef struct player {
    kr_process base; /* first member, so a kr_process * is a player * */
    kr_pid peer;     /* pinger: whom to ping */
    uint32_t rounds; /* pongs received (pinger) or pings answered (ponger) */
} player;

static uint32_t body_u32(const kr_message *m)
{
    uint32_t n = 0;
    if (m->len == sizeof n)
        memcpy(&n, m->body, sizeof n);
    return n;
}

static void on_ping(kr_process *self, const kr_message *m)
{
    player *p = (player *)self;
    uint32_t n = body_u32(m);
    p->rounds++;
    kr_send(self, m->from, "pong", &n, sizeof n); /* answer the sender */
}

static void on_pong(kr_process *self, const kr_message *m)
{
    player *p = (player *)self;
    uint32_t n = body_u32(m);
    kr_check(n == p->rounds + 1, "pong %" PRIu32 " out of order", n);
    p->rounds = n;
    if (n < ROUNDS) {
        n++;
        kr_send(self, p->peer, "ping", &n, sizeof n);
    } else {
        kr_terminate(kr_self(self), false); /* done: main() is waiting */
    }
}

static void ponger_initialize(kr_process *self) { kr_install(self, "ping", on_ping); }

static void pinger_initialize(kr_process *self)
{
    player *p = (player *)self;
    uint32_t n = 1;
    kr_install(self, "pong", on_pong);
    kr_send(self, p->peer, "ping", &n, sizeof n);
}

static const kr_process_ops ponger_ops = {.initialize = ponger_initialize};
static const kr_process_ops pinger_ops = {.initialize = pinger_initialize};

int main(int argc, char **argv)
{
    kr_config cfg = {0};
    cfg.port = -1; /* real backend: no listening socket needed */
    if (argc > 1)
        cfg.seed = strtoull(argv[1], NULL, 10); /* sim: 0 = KAIROS_SEED or default */

    int err = kr_init(&cfg);
    if (err != 0) {
        fprintf(stderr, "kr_init: %s\n", kr_strerror(err));
        return 1;
    }

    player ponger = {0}, pinger = {0};
    kr_process_init(&ponger.base, "ponger", &ponger_ops);
    kr_process_init(&pinger.base, "pinger", &pinger_ops);
    kr_pid pong_pid = kr_spawn(&ponger.base, false);
    pinger.peer = pong_pid;
    kr_pid ping_pid = kr_spawn(&pinger.base, false);

    /* On the simulator, kr_wait drives the simulation until the pinger ends. */
    bool done = kr_wait(ping_pid, KR_SEC(10));
    kr_terminate(pong_pid, false);
    done = kr_wait(pong_pid, KR_SEC(10)) && done;

    int status = (done && pinger.rounds == ROUNDS && ponger.rounds == ROUNDS) ? 0 : 1;
#ifdef KAIROS_SIM
    const char *failure = kr_sim_failure();
    if (failure) {
        fprintf(stderr, "check failed: %s\n", failure);
        status = 1;
    }
    printf("seed=%" PRIu64 " trace_hash=0x%016" PRIx64 " steps=%" PRIu64 "\n", kr_sim_seed(),
           kr_sim_trace_hash(), kr_sim_steps());
#else
    printf("backend=%s round_trips=%" PRIu32 "\n", kr_backend(), pinger.rounds);
#endif
    if (status != 0)
        fprintf(stderr, "pingpong: expected %d round trips, got %" PRIu32 "\n", ROUNDS,
                pinger.rounds);
    kr_finalize();
    return status;
}
