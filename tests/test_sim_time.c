/* Sim only: a clock per node, one-way cuts and stop-the-world pauses.
 * A skewed node's processes read their own clock and their timers fire by
 * it; a jump moves it mid-run; a cut drops one direction only; a paused
 * node runs nothing until the pause ends. */
#include "harness.h"

#define A "10.0.0.1:5050"
#define B "10.0.0.2:5050"

typedef struct clocked {
    kr_process base;
    kr_time read;      /* kr_clock_now() inside the process */
    kr_time fired_at;  /* virtual time (kr_sim_elapsed) when its timer fired */
    kr_time fired_local; /* its own clock (kr_clock_now) then */
    int fired, received, exited;
    kr_duration received_at;
} clocked;

static void read_clock(kr_process *self, const void *arg)
{
    (void)arg;
    ((clocked *)self)->read = kr_clock_now();
}

static void on_timer(kr_process *self, const void *arg)
{
    (void)arg;
    clocked *c = (clocked *)self;
    c->fired++;
    c->fired_at = kr_sim_elapsed();
    c->fired_local = kr_clock_now();
}

static void arm_timer(kr_process *self, const void *arg)
{
    kr_duration d;
    memcpy(&d, arg, sizeof d);
    kr_delay(d, kr_self(self), on_timer, NULL, 0);
}

static void on_ping(kr_process *self, const kr_message *m)
{
    (void)m;
    clocked *c = (clocked *)self;
    c->received++;
    c->received_at = kr_sim_elapsed();
}

static void clocked_init(kr_process *self) { kr_install(self, "ping", on_ping); }
static void clocked_exited(kr_process *self, kr_pid who)
{
    (void)who;
    ((clocked *)self)->exited++;
}

static const kr_process_ops clocked_ops = {.initialize = clocked_init, .exited = clocked_exited};

static kr_pid spawn_clocked(const char *node, clocked *c, const char *id)
{
    assert_int_equal(kr_sim_node(node), 0);
    memset(c, 0, sizeof *c);
    kr_process_init(&c->base, id, &clocked_ops);
    kr_pid pid = kr_spawn(&c->base, false);
    assert_false(kr_pid_is_none(pid));
    return pid;
}

static void send_ping(kr_process *self, const void *arg)
{
    kr_pid to;
    memcpy(&to, arg, sizeof to);
    kr_send(self, to, "ping", NULL, 0);
}

static void a_skewed_node_reads_its_own_clock(void **state)
{
    (void)state;
    static clocked a, b;
    kr_pid pa = spawn_clocked(A, &a, "a");
    kr_pid pb = spawn_clocked(B, &b, "b");
    assert_int_equal(kr_sim_clock_skew(B, KR_SEC(5), 0), 0);
    kr_dispatch(pa, read_clock, NULL, 0);
    kr_dispatch(pb, read_clock, NULL, 0);
    kr_sim_run(0);
    assert_int_equal(b.read - a.read, KR_SEC(5));
    assert_true(kr_clock_now() - a.read < KR_SEC(1)); /* the driver: virtual time */

    /* A jump mid-run: the clock moves back by 7 s at once. */
    assert_int_equal(kr_sim_clock_skew(B, -KR_SEC(2), 0), 0);
    kr_dispatch(pa, read_clock, NULL, 0);
    kr_dispatch(pb, read_clock, NULL, 0);
    kr_sim_run(0);
    assert_int_equal(b.read - a.read, -KR_SEC(2));
}

static void a_drifting_clock_gains_in_proportion_and_fires_timers_by_it(void **state)
{
    (void)state;
    static clocked a, b;
    kr_pid pa = spawn_clocked(A, &a, "a");
    kr_pid pb = spawn_clocked(B, &b, "b");
    assert_int_equal(kr_sim_clock_skew(B, 0, 0.25), 0); /* 25 % fast */
    kr_duration d = KR_SEC(10);
    kr_duration start = kr_sim_elapsed();
    kr_dispatch(pa, arm_timer, &d, sizeof d);
    kr_dispatch(pb, arm_timer, &d, sizeof d);
    kr_sim_run(0);
    assert_int_equal(a.fired, 1);
    assert_int_equal(b.fired, 1);
    assert_true(a.fired_at - start >= KR_SEC(10));
    /* B's 10 s pass in 8 s of virtual time (plus what elapsed before). */
    assert_true(b.fired_at < a.fired_at);
    assert_true(b.fired_at - start <= KR_SEC(8) + KR_MSEC(1));
    kr_dispatch(pb, read_clock, NULL, 0);
    kr_dispatch(pa, read_clock, NULL, 0);
    kr_sim_run(0);
    kr_duration gained = b.read - a.read;
    assert_true(gained > 0 && gained == (kr_duration)(0.25 * (double)kr_sim_elapsed() + 0.5));
}

/* kr_future_after inside a drifting node times out by the node's clock. */
static kr_promise *never;
static kr_future *timeout_of;

static void arm_future_timeout(kr_process *self, const void *arg)
{
    (void)self;
    (void)arg;
    never = kr_promise_new();
    timeout_of = kr_future_after(kr_promise_future(never), KR_SEC(10));
}

static void a_future_timeout_fires_by_the_node_clock(void **state)
{
    (void)state;
    static clocked b;
    kr_pid pb = spawn_clocked(B, &b, "b");
    kr_sim_run(0);
    assert_int_equal(kr_sim_clock_skew(B, 0, 0.25), 0); /* 25 % fast */
    kr_duration start = kr_sim_elapsed();
    kr_dispatch(pb, arm_future_timeout, NULL, 0);
    kr_sim_run(0);
    assert_non_null(timeout_of);
    assert_int_equal(kr_future_state_of(timeout_of), KR_FAILED);
    /* 10 s of B's clock are 8 s (plus the skew of the elapsed start) of
     * virtual time: less than 10 s. */
    assert_true(kr_sim_elapsed() - start < KR_SEC(10));
    kr_future_unref(timeout_of);
    kr_promise_free(never);
}

/* A far deadline on a skewed clock neither overflows nor fires early. */
/* A clock 100 years slow reads before 1970 (a negative time): a delay of
 * almost INT64_MAX from there neither overflows (undefined behaviour, which
 * gcc and clang once resolved differently) nor fires before the node's own
 * clock has moved on by the whole delay. */
static void far_deadlines_on_a_skewed_clock_stay_far(void **state)
{
    (void)state;
    static clocked b;
    kr_pid pb = spawn_clocked(B, &b, "b");
    kr_sim_run(0);
    assert_int_equal(kr_sim_clock_skew(B, -KR_SIM_CLOCK_OFFSET_MAX, 0.25), 0);
    kr_dispatch(pb, read_clock, NULL, 0);
    kr_sim_run(0);
    kr_time armed = b.read;
    assert_true(armed < 0);
    kr_duration d = INT64_MAX - 1;
    kr_dispatch(pb, arm_timer, &d, sizeof d);
    kr_sim_run(1000);
    assert_int_equal(b.fired, 1);
    assert_true(b.fired_local > 0);
    assert_true((double)b.fired_local - (double)armed >= (double)d);
}

static void a_clock_jump_forward_fires_new_timers_by_the_new_clock(void **state)
{
    (void)state;
    static clocked b;
    kr_pid pb = spawn_clocked(B, &b, "b");
    kr_sim_run(0);
    assert_int_equal(kr_sim_clock_skew(B, KR_SEC(60), 0), 0);
    kr_duration d = KR_SEC(1), start = kr_sim_elapsed();
    kr_dispatch(pb, arm_timer, &d, sizeof d);
    kr_sim_run(0);
    assert_int_equal(b.fired, 1);
    assert_int_equal(b.fired_at - start, KR_SEC(1)); /* 1 s of its clock */
}

static void bad_clock_settings_are_refused(void **state)
{
    (void)state;
    assert_int_equal(kr_sim_clock_skew(A, 0, 0.5), KR_EINVAL);
    assert_int_equal(kr_sim_clock_skew(A, 0, -0.7), KR_EINVAL);
    assert_int_equal(kr_sim_clock_skew(A, 0, 0.0 / 0.0), KR_EINVAL);
    assert_int_equal(kr_sim_clock_skew("nope", 0, 0), KR_EFORMAT);
    assert_int_equal(kr_sim_clock_skew(A, KR_SIM_CLOCK_OFFSET_MAX + 1, 0), KR_ERANGE);
    assert_int_equal(kr_sim_clock_skew(A, -KR_SIM_CLOCK_OFFSET_MAX - 1, 0), KR_ERANGE);
    assert_int_equal(kr_sim_pause(A, -1), KR_EINVAL);
    assert_int_equal(kr_sim_pause("nope", 1), KR_EFORMAT);
    assert_int_equal(kr_sim_cut(A, A), KR_EINVAL);
    assert_int_equal(kr_sim_cut("nope", A), KR_EFORMAT);
}

static void a_one_way_cut_drops_one_direction_until_healed(void **state)
{
    (void)state;
    static clocked a, b;
    kr_pid pa = spawn_clocked(A, &a, "a");
    kr_pid pb = spawn_clocked(B, &b, "b");
    kr_sim_run(0);
    assert_int_equal(kr_sim_cut(A, B), 0);
    kr_dispatch(pa, send_ping, &pb, sizeof pb); /* A -> B: cut */
    kr_dispatch(pb, send_ping, &pa, sizeof pa); /* B -> A: open */
    kr_sim_run(0);
    assert_int_equal(b.received, 0);
    assert_int_equal(a.received, 1);
    kr_sim_heal();
    kr_dispatch(pa, send_ping, &pb, sizeof pb);
    kr_sim_run(0);
    assert_int_equal(b.received, 1);
}

static void a_cut_breaks_remote_links_in_both_directions(void **state)
{
    (void)state;
    static clocked a, b;
    kr_pid pa = spawn_clocked(A, &a, "a");
    kr_pid pb = spawn_clocked(B, &b, "b");
    kr_sim_run(0);
    kr_link(&a.base, pb);
    kr_link(&b.base, pa);
    kr_sim_run(0);
    assert_int_equal(kr_sim_cut(B, A), 0);
    kr_sim_run(0);
    assert_int_equal(a.exited, 1);
    assert_int_equal(b.exited, 1);
}

static void a_paused_node_runs_nothing_until_the_pause_ends(void **state)
{
    (void)state;
    static clocked a, b;
    kr_pid pa = spawn_clocked(A, &a, "a");
    kr_pid pb = spawn_clocked(B, &b, "b");
    kr_sim_run(0);
    kr_duration start = kr_sim_elapsed();
    assert_int_equal(kr_sim_pause(B, KR_SEC(3)), 0);
    kr_duration d = KR_MSEC(100);
    kr_dispatch(pb, arm_timer, &d, sizeof d); /* queued: B cannot serve it */
    kr_dispatch(pa, send_ping, &pb, sizeof pb);
    kr_dispatch(pa, read_clock, NULL, 0); /* A keeps running */
    kr_sim_run(0);
    assert_int_equal(b.received, 1);
    assert_int_equal(b.fired, 1);
    assert_true(b.received_at - start >= KR_SEC(3)); /* waited for the pause */
    assert_true(b.fired_at - start >= KR_SEC(3) + KR_MSEC(100));
    assert_true(a.read != 0);
    assert_int_equal(kr_sim_pause(B, 0), 0); /* nothing */
}

static void a_pause_then_crash_leaves_nothing_parked(void **state)
{
    (void)state;
    static clocked b;
    kr_pid pb = spawn_clocked(B, &b, "b");
    kr_sim_run(0);
    assert_int_equal(kr_sim_pause(B, KR_SEC(1)), 0);
    assert_int_equal(kr_sim_pause(B, KR_MSEC(10)), 0); /* shorter: the longer holds */
    kr_dispatch(pb, read_clock, NULL, 0);
    assert_false(kr_sim_quiescent()); /* parked, not gone */
    assert_int_equal(kr_sim_crash(B), 0);
    kr_sim_run(0);
    assert_true(kr_sim_quiescent());
    assert_int_equal(b.read, 0);
    assert_int_equal(kr_sim_pause(B, KR_SEC(1)), 0); /* a down node: nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        KT_TEST(a_skewed_node_reads_its_own_clock),
        KT_TEST(a_drifting_clock_gains_in_proportion_and_fires_timers_by_it),
        KT_TEST(a_clock_jump_forward_fires_new_timers_by_the_new_clock),
        KT_TEST(far_deadlines_on_a_skewed_clock_stay_far),
        KT_TEST(a_future_timeout_fires_by_the_node_clock),
        KT_TEST(bad_clock_settings_are_refused),
        KT_TEST(a_one_way_cut_drops_one_direction_until_healed),
        KT_TEST(a_cut_breaks_remote_links_in_both_directions),
        KT_TEST(a_paused_node_runs_nothing_until_the_pause_ends),
        KT_TEST(a_pause_then_crash_leaves_nothing_parked),
    };
    return KT_RUN(tests);
}
