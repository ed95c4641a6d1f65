/* Sim only: nodes, the simulated network and its faults. Messages between
 * nodes take seeded latency and keep per-link order; partitions drop them
 * and break remote links; crashes end a node's processes without finalize;
 * restarts call the node's start function again; the trace hash stays a
 * function of the seed. */
#include "harness.h"

#define A "10.0.0.1:5050"
#define B "10.0.0.2:5050"
#define C "10.0.0.3:5050"

typedef struct node_proc {
    kr_process base;
    int received, finalized, exited;
    int order[64];
    kr_pid last_exited;
} node_proc;

static void on_num(kr_process *self, const kr_message *m)
{
    node_proc *n = (node_proc *)self;
    int v;
    memcpy(&v, m->body, sizeof v);
    if (n->received < 64)
        n->order[n->received] = v;
    n->received++;
}

static void np_init(kr_process *self) { kr_install(self, "num", on_num); }
static void np_finalize(kr_process *self) { ((node_proc *)self)->finalized++; }
static void np_exited(kr_process *self, kr_pid who)
{
    node_proc *n = (node_proc *)self;
    n->exited++;
    n->last_exited = who;
}

static const kr_process_ops np_ops = {
    .initialize = np_init, .finalize = np_finalize, .exited = np_exited};

static kr_pid spawn_on(const char *node, node_proc *p, const char *id)
{
    assert_int_equal(kr_sim_node(node), 0);
    memset(p, 0, sizeof *p);
    kr_process_init(&p->base, id, &np_ops);
    kr_pid pid = kr_spawn(&p->base, false);
    assert_false(kr_pid_is_none(pid));
    return pid;
}

/* A sender on A sends 40 numbered messages to B in one event. */
typedef struct burst {
    kr_pid to;
    int n;
} burst;

static void send_burst(kr_process *self, const void *arg)
{
    const burst *b = arg;
    for (int i = 0; i < b->n; i++)
        kr_send(self, b->to, "num", &i, sizeof i);
}

static void pids_carry_their_node_address(void **state)
{
    (void)state;
    static node_proc a, b;
    kr_pid pa = spawn_on(A, &a, "same-id");
    kr_pid pb = spawn_on(B, &b, "same-id"); /* ids are unique per node */
    char text[KR_PID_STRLEN_MAX];
    assert_int_equal(kr_pid_format(pa, text, sizeof text), 0);
    assert_string_equal(text, "same-id@10.0.0.1:5050");
    assert_int_equal(kr_pid_format(pb, text, sizeof text), 0);
    assert_string_equal(text, "same-id@10.0.0.2:5050");
    char addr[32];
    assert_int_equal(kr_address(addr, sizeof addr), 0);
    assert_string_equal(addr, B); /* the driver's selected node */
    assert_int_equal(kr_sim_node("not-an-address"), KR_EFORMAT);
    assert_int_equal(kr_sim_node("10.0.0.1:0"), KR_EFORMAT);
}

static void messages_between_nodes_take_latency_and_keep_link_order(void **state)
{
    (void)state;
    static node_proc a, b;
    kr_sim_net net = {.latency_min = KR_MSEC(5), .latency_max = KR_MSEC(50)};
    assert_int_equal(kr_sim_network(&net), 0);
    kr_pid pa = spawn_on(A, &a, "sender");
    kr_pid pb = spawn_on(B, &b, "receiver");
    kr_clock_settle();
    kr_time t0 = kr_clock_now();
    burst bu = {pb, 40};
    kr_dispatch(pa, send_burst, &bu, sizeof bu);
    kr_sim_run(0);
    assert_int_equal(b.received, 40);
    for (int i = 0; i < 40; i++)
        assert_int_equal(b.order[i], i); /* per-link FIFO despite random latency */
    assert_true(kr_clock_now() - t0 >= KR_MSEC(5));
}

static void partition_drops_messages_and_breaks_remote_links(void **state)
{
    (void)state;
    static node_proc a, b;
    kr_pid pa = spawn_on(A, &a, "watcher");
    kr_pid pb = spawn_on(B, &b, "watched");
    kr_link(&a.base, pb);
    kr_sim_run(0);
    assert_int_equal(a.exited, 0);

    const char *left[] = {A}, *right[] = {B};
    assert_int_equal(kr_sim_partition(left, 1, right, 1), 0);
    kr_sim_run(0);
    assert_int_equal(a.exited, 1);
    assert_true(kr_pid_equal(a.last_exited, pb));

    burst bu = {pb, 3};
    kr_dispatch(pa, send_burst, &bu, sizeof bu);
    kr_sim_run(0);
    assert_int_equal(b.received, 0); /* dropped at the cut */

    kr_sim_heal();
    kr_dispatch(pa, send_burst, &bu, sizeof bu);
    kr_sim_run(0);
    assert_int_equal(b.received, 3);
    assert_int_equal(a.exited, 1); /* a broken link does not fire twice */
}

static void crash_ends_processes_without_finalize_and_restart_starts_again(void **state)
{
    (void)state;
    static node_proc a, b;
    static int starts;
    starts = 0;
    kr_pid pa = spawn_on(A, &a, "survivor");
    struct ctx {
        node_proc *b;
        int *starts;
    } ctx = {&b, &starts};
    extern void kt_start_server(const char *address, void *ctx);
    assert_int_equal(kr_sim_on_start(B, kt_start_server, &ctx), 0);
    assert_int_equal(starts, 1);
    kr_pid server = {0};
    assert_int_equal(kr_pid_parse("server@10.0.0.2:5050", &server), 0);
    kr_link(&a.base, server);
    kr_sim_run(0);
    assert_int_equal(b.received, 0);

    assert_int_equal(kr_sim_crash(B), 0);
    assert_false(kr_sim_node_up(B));
    kr_sim_run(0);
    assert_int_equal(b.finalized, 0); /* crashed, not terminated */
    assert_int_equal(a.exited, 1);
    kr_stats st;
    kr_stats_get(&st);
    assert_int_equal(st.processes_terminated, 1); /* the server, killed */

    assert_int_equal(kr_sim_restart(B), 0);
    assert_true(kr_sim_node_up(B));
    assert_int_equal(starts, 2);
    burst bu = {server, 2};
    kr_dispatch(pa, send_burst, &bu, sizeof bu);
    kr_sim_run(0);
    assert_int_equal(b.received, 2); /* the restarted server got them */
}

void kt_start_server(const char *address, void *arg)
{
    struct ctx {
        node_proc *b;
        int *starts;
    } *ctx = arg;
    (*ctx->starts)++;
    memset(ctx->b, 0, sizeof *ctx->b);
    kr_process_init(&ctx->b->base, "server", &np_ops);
    kr_pid pid = kr_spawn(&ctx->b->base, false);
    char text[KR_PID_STRLEN_MAX];
    kr_pid_format(pid, text, sizeof text);
    assert_true(strstr(text, address) != NULL); /* spawned on that node */
}

static void clog_delays_a_link(void **state)
{
    (void)state;
    static node_proc a, b;
    kr_sim_net net = {.latency_min = KR_MSEC(1), .latency_max = KR_MSEC(1)};
    kr_sim_network(&net);
    kr_pid pa = spawn_on(A, &a, "s");
    kr_pid pb = spawn_on(B, &b, "r");
    kr_sim_run(0);
    kr_time t0 = kr_clock_now();
    assert_int_equal(kr_sim_clog(A, B, KR_SEC(30)), 0);
    burst bu = {pb, 1};
    kr_dispatch(pa, send_burst, &bu, sizeof bu);
    kr_sim_run(0);
    assert_int_equal(b.received, 1);
    assert_true(kr_clock_now() - t0 >= KR_SEC(30));
}

/* Loss and duplication follow the seed: with drop 0.5 some messages vanish,
 * with duplicate 1 every message arrives twice. */
static void loss_and_duplication(void **state)
{
    (void)state;
    static node_proc a, b;
    kr_pid pa = spawn_on(A, &a, "s");
    kr_pid pb = spawn_on(B, &b, "r");
    kr_sim_net lossy = {.latency_min = KR_MSEC(1), .latency_max = KR_MSEC(2), .drop = 0.5};
    assert_int_equal(kr_sim_link_network(A, B, &lossy), 0);
    burst bu = {pb, 40};
    kr_dispatch(pa, send_burst, &bu, sizeof bu);
    kr_sim_run(0);
    assert_true(b.received > 0 && b.received < 40);

    int before = b.received;
    kr_sim_net dup = {.latency_min = KR_MSEC(1), .latency_max = KR_MSEC(2), .duplicate = 1.0};
    assert_int_equal(kr_sim_link_network(A, B, &dup), 0);
    bu.n = 5;
    kr_dispatch(pa, send_burst, &bu, sizeof bu);
    kr_sim_run(0);
    assert_int_equal(b.received - before, 10);
    kr_sim_net bad = {.latency_min = 5, .latency_max = 1};
    assert_int_equal(kr_sim_network(&bad), KR_EINVAL);
}

/* Three nodes gossiping; the same seed gives the same hash, and the
 * observer sees sends, deliveries and the partition. */
typedef struct seen {
    int sends, delivers, drops, partitions;
} seen;

static void count_event(const kr_sim_event *e, void *ctx)
{
    seen *s = ctx;
    if (strcmp(e->kind, "send") == 0)
        s->sends++;
    else if (strcmp(e->kind, "deliver") == 0)
        s->delivers++;
    else if (strcmp(e->kind, "drop") == 0)
        s->drops++;
    else if (strcmp(e->kind, "partition") == 0)
        s->partitions++;
}

static uint64_t three_node_run(uint64_t seed, seen *s)
{
    kr_config c = {.seed = seed};
    assert_int_equal(kr_init(&c), 0);
    kr_sim_observe(count_event, s);
    static node_proc p[3];
    const char *addr[3] = {A, B, C};
    kr_pid pids[3];
    for (int i = 0; i < 3; i++)
        pids[i] = spawn_on(addr[i], &p[i], "peer");
    for (int i = 0; i < 3; i++) {
        burst bu = {pids[(i + 1) % 3], 10};
        kr_dispatch(pids[i], send_burst, &bu, sizeof bu);
    }
    kr_sim_run(200);
    const char *left[] = {A}, *right[] = {B, C};
    kr_sim_partition(left, 1, right, 2);
    for (int i = 0; i < 3; i++) {
        burst bu = {pids[(i + 2) % 3], 5};
        kr_dispatch(pids[i], send_burst, &bu, sizeof bu);
    }
    kr_sim_run(0);
    uint64_t h = kr_sim_trace_hash();
    kr_sim_observe(NULL, NULL);
    kr_finalize();
    return h;
}

static void three_nodes_same_seed_same_hash(void **state)
{
    (void)state;
    seen s1 = {0}, s2 = {0}, s3 = {0};
    uint64_t h1 = three_node_run(7, &s1);
    uint64_t h2 = three_node_run(7, &s2);
    assert_true(h1 == h2);
    assert_int_equal(s1.sends, s2.sends);
    assert_int_equal(s1.delivers, s2.delivers);
    assert_int_equal(s1.partitions, 1);
    assert_true(s1.drops > 0); /* messages across the cut */
    bool differs = false;
    for (uint64_t seed = 8; seed < 20 && !differs; seed++)
        differs = three_node_run(seed, &s3) != h1;
    assert_true(differs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(pids_carry_their_node_address),
        KT_TEST(messages_between_nodes_take_latency_and_keep_link_order),
        KT_TEST(partition_drops_messages_and_breaks_remote_links),
        KT_TEST(crash_ends_processes_without_finalize_and_restart_starts_again),
        KT_TEST(clog_delays_a_link),
        KT_TEST(loss_and_duplication),
        KT_BARE_TEST(three_nodes_same_seed_same_hash),
    };
    return KT_RUN(tests);
}
