/* Sim only: the two kinds of crash and remote links across them.
 *
 * A process started after its node restarts has links of its own: it hears
 * exited when a peer's node crashes, in every order of crash, restart and
 * link. A process crash (kr_sim_crash) tells remote linkers after network
 * latency, behind the data in flight; a power-off (kr_sim_power_off) only
 * after the failure-detection delay, and may lose what was in flight. */
#include "harness.h"

#define A "10.0.0.1:5050"
#define B "10.0.0.2:5050"
#define C "10.0.0.3:5050"

typedef struct peer {
    kr_process base;
    kr_pid link_to; /* linked from initialize unless none */
    int exited, received;
    kr_time exited_at, received_at;
    kr_pid last_exited;
} peer;

static void on_data(kr_process *self, const kr_message *m)
{
    (void)m;
    peer *p = (peer *)self;
    p->received++;
    p->received_at = kr_clock_now();
}

static void peer_init(kr_process *self)
{
    peer *p = (peer *)self;
    kr_install(self, "data", on_data);
    if (!kr_pid_is_none(p->link_to))
        kr_link(self, p->link_to);
}

static void peer_exited(kr_process *self, kr_pid who)
{
    peer *p = (peer *)self;
    p->exited++;
    p->exited_at = kr_clock_now();
    p->last_exited = who;
}

static const kr_process_ops peer_ops = {.initialize = peer_init, .exited = peer_exited};

static kr_pid named(const char *text)
{
    kr_pid pid;
    assert_int_equal(kr_pid_parse(text, &pid), 0);
    return pid;
}

static kr_pid spawn_peer(const char *node, peer *p, const char *id, kr_pid link_to)
{
    assert_int_equal(kr_sim_node(node), 0);
    memset(p, 0, sizeof *p);
    p->link_to = link_to;
    kr_process_init(&p->base, id, &peer_ops);
    kr_pid pid = kr_spawn(&p->base, false);
    assert_false(kr_pid_is_none(pid));
    return pid;
}

/* Node B's start function: a fresh "backup" per incarnation that links to
 * the primary on A from initialize (the user's primary-backup store). */
static peer backups[4];
static int incarnations;

static void start_backup(const char *address, void *ctx)
{
    (void)ctx;
    peer *p = &backups[incarnations++];
    memset(p, 0, sizeof *p);
    p->link_to = named("primary@" A);
    kr_process_init(&p->base, "backup", &peer_ops);
    (void)address;
    kr_spawn(&p->base, false);
}

static void a_backup_started_after_a_restart_hears_the_primary_crash(void **state)
{
    (void)state;
    static peer primary, client;
    incarnations = 0;
    kr_pid pp = spawn_peer(A, &primary, "primary", KR_PID_NONE);
    spawn_peer(C, &client, "client", pp);
    assert_int_equal(kr_sim_on_start(B, start_backup, NULL), 0);
    kr_sim_run(0);
    assert_int_equal(kr_sim_crash(B), 0);
    kr_sim_run(0);
    assert_int_equal(kr_sim_restart(B), 0);
    kr_sim_run(0);
    assert_int_equal(incarnations, 2);

    assert_int_equal(kr_sim_crash(A), 0);
    kr_sim_run(0);
    assert_int_equal(client.exited, 1);
    assert_int_equal(backups[0].exited, 0); /* crashed before: gone */
    assert_int_equal(backups[1].exited, 1); /* was 0: the reported bug */
    assert_true(kr_pid_equal(backups[1].last_exited, pp));
}

static void a_linker_hears_each_incarnation_of_a_restarted_peer(void **state)
{
    (void)state;
    static peer watcher;
    incarnations = 0;
    assert_int_equal(kr_sim_on_start(B, start_backup, NULL), 0);
    kr_pid backup = named("backup@" B);
    spawn_peer(A, &watcher, "watcher", backup);
    kr_sim_run(0);
    for (int round = 1; round <= 3; round++) {
        assert_int_equal(kr_sim_crash(B), 0);
        kr_sim_run(0);
        assert_int_equal(watcher.exited, round);
        assert_int_equal(kr_sim_restart(B), 0);
        kr_sim_run(0);
        kr_link(&watcher.base, backup); /* to the new incarnation */
        kr_sim_run(0);
        assert_int_equal(watcher.exited, round); /* it is alive: no exited */
    }
    assert_int_equal(incarnations, 4);
}

static void linking_to_a_down_node_or_a_stale_pid_reports_exited(void **state)
{
    (void)state;
    static peer target, early, late, stale;
    kr_pid t = spawn_peer(B, &target, "target", KR_PID_NONE);
    spawn_peer(A, &early, "early", t); /* carries the first incarnation's cache */
    kr_sim_run(0);
    assert_int_equal(kr_sim_crash(B), 0);
    spawn_peer(A, &late, "late", t); /* while B is down */
    kr_sim_run(0);
    assert_int_equal(late.exited, 1);
    assert_int_equal(kr_sim_restart(B), 0);
    spawn_peer(B, &target, "target", KR_PID_NONE);
    spawn_peer(A, &stale, "stale", t); /* t names the crashed incarnation */
    kr_sim_run(0);
    assert_int_equal(stale.exited, 1);
    assert_int_equal(early.exited, 1);
}

static void a_crashed_linker_is_not_told_and_its_restart_relinks(void **state)
{
    (void)state;
    static peer primary;
    incarnations = 0;
    spawn_peer(A, &primary, "primary", KR_PID_NONE);
    assert_int_equal(kr_sim_on_start(B, start_backup, NULL), 0);
    kr_sim_run(0);
    assert_int_equal(kr_sim_crash(B), 0); /* the linker's node goes first */
    kr_sim_run(0);
    assert_int_equal(kr_sim_crash(A), 0);
    kr_sim_run(0);
    assert_int_equal(backups[0].exited, 0);
    assert_int_equal(kr_sim_restart(A), 0);
    spawn_peer(A, &primary, "primary", KR_PID_NONE);
    assert_int_equal(kr_sim_restart(B), 0); /* links to the new primary */
    kr_sim_run(0);
    assert_int_equal(kr_sim_power_off(A), 0);
    kr_sim_run(0);
    assert_int_equal(backups[1].exited, 1);
}

/* A crash tells remote linkers after latency, behind data in flight. */
static void a_crash_is_learned_after_latency_behind_data_in_flight(void **state)
{
    (void)state;
    static peer server, watcher;
    kr_sim_net net = {.latency_min = KR_MSEC(20), .latency_max = KR_MSEC(20)};
    assert_int_equal(kr_sim_network(&net), 0);
    kr_pid s = spawn_peer(B, &server, "server", KR_PID_NONE);
    kr_pid w = spawn_peer(A, &watcher, "watcher", s);
    kr_sim_run(0);
    kr_send(&server.base, w, "data", NULL, 0); /* in flight at the crash */
    kr_time crash_at = kr_clock_now();
    assert_int_equal(kr_sim_crash(B), 0);
    assert_int_equal(watcher.exited, 0); /* never at the crash instant */
    kr_sim_run(0);
    assert_int_equal(watcher.received, 1); /* the data still arrived ... */
    assert_int_equal(watcher.exited, 1);   /* ... then the reset */
    assert_true(watcher.exited_at >= watcher.received_at);
    assert_true(watcher.exited_at - crash_at >= KR_MSEC(20));
    assert_true(watcher.exited_at - crash_at < KR_SEC(1));
}

static void a_terminated_remote_peer_is_learned_after_latency(void **state)
{
    (void)state;
    static peer server, watcher;
    kr_sim_net net = {.latency_min = KR_MSEC(7), .latency_max = KR_MSEC(7)};
    assert_int_equal(kr_sim_network(&net), 0);
    kr_pid s = spawn_peer(B, &server, "server", KR_PID_NONE);
    spawn_peer(A, &watcher, "watcher", s);
    kr_sim_run(0);
    kr_time t0 = kr_clock_now();
    kr_terminate(s, false);
    kr_sim_run(0);
    assert_int_equal(watcher.exited, 1);
    assert_true(watcher.exited_at - t0 >= KR_MSEC(7));
}

/* A power-off is learned only after the failure-detection delay. */
static void a_power_off_is_learned_after_the_detection_delay(void **state)
{
    (void)state;
    static peer server, watcher;
    assert_int_equal(kr_sim_failure_detection(KR_MSEC(750)), 0);
    assert_int_equal(kr_sim_failure_detection(-1), KR_EINVAL);
    kr_pid s = spawn_peer(B, &server, "server", KR_PID_NONE);
    spawn_peer(A, &watcher, "watcher", s);
    kr_sim_run(0);
    kr_time t0 = kr_clock_now();
    assert_int_equal(kr_sim_power_off(B), 0);
    assert_false(kr_sim_node_up(B));
    assert_int_equal(kr_sim_power_off(B), 0); /* already down: nothing */
    kr_sim_run(0);
    assert_int_equal(watcher.exited, 1);
    assert_int_equal(watcher.exited_at - t0, KR_MSEC(750));
    assert_int_equal(kr_sim_power_off("nowhere"), KR_EFORMAT);
    assert_int_equal(kr_sim_power_off("10.9.9.9:1"), KR_ENOENT);
}

/* Messages in flight from a powered-off node are each lost or not, by the
 * seed: over many sends some arrive and some do not; a crash loses none. */
static void a_power_off_loses_some_messages_in_flight_and_a_crash_none(void **state)
{
    (void)state;
    static peer sender, sink;
    kr_sim_net net = {.latency_min = KR_MSEC(50), .latency_max = KR_MSEC(50)};
    assert_int_equal(kr_sim_network(&net), 0);
    spawn_peer(B, &sender, "sender", KR_PID_NONE);
    kr_pid k = spawn_peer(A, &sink, "sink", KR_PID_NONE);
    kr_sim_run(0);
    for (int i = 0; i < 64; i++)
        kr_send(&sender.base, k, "data", NULL, 0);
    assert_int_equal(kr_sim_power_off(B), 0);
    kr_sim_run(0);
    assert_true(sink.received > 0 && sink.received < 64);

    assert_int_equal(kr_sim_restart(B), 0);
    spawn_peer(B, &sender, "sender", KR_PID_NONE);
    kr_sim_run(0);
    sink.received = 0;
    for (int i = 0; i < 64; i++)
        kr_send(&sender.base, k, "data", NULL, 0);
    assert_int_equal(kr_sim_crash(B), 0);
    kr_sim_run(0);
    assert_int_equal(sink.received, 64);
}

static void only_the_driver_takes_nodes_down(void **state)
{
    (void)state;
    static peer p;
    kr_pid pid = spawn_peer(B, &p, "p", KR_PID_NONE);
    kr_sim_run(0);
    (void)pid;
    assert_int_equal(kr_sim_crash("bad"), KR_EFORMAT);
    assert_int_equal(kr_sim_restart("10.9.9.9:1"), KR_ENOENT);
    assert_int_equal(kr_sim_restart(B), 0); /* up already: nothing */
}

int main(void)
{
    kt_banner();
    const struct CMUnitTest tests[] = {
        KT_TEST(a_backup_started_after_a_restart_hears_the_primary_crash),
        KT_TEST(a_linker_hears_each_incarnation_of_a_restarted_peer),
        KT_TEST(linking_to_a_down_node_or_a_stale_pid_reports_exited),
        KT_TEST(a_crashed_linker_is_not_told_and_its_restart_relinks),
        KT_TEST(a_crash_is_learned_after_latency_behind_data_in_flight),
        KT_TEST(a_terminated_remote_peer_is_learned_after_latency),
        KT_TEST(a_power_off_is_learned_after_the_detection_delay),
        KT_TEST(a_power_off_loses_some_messages_in_flight_and_a_crash_none),
        KT_TEST(only_the_driver_takes_nodes_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
