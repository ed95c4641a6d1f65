/* kairos shrink's workload passes: what the failing run is made to do,
 * made smaller while the seed still fails with the same signature.
 *
 * 1. Network faults: the drop and duplicate rates lowered (to 0, else the
 *    lowest percentage of the scenario's that still fails; the network's
 *    draws are per message, so a lower rate keeps a subset of the same
 *    losses and copies).
 * 2. Items left out, ddmin style (halves, quarters, ... single items): the
 *    scripted actions (stimuli and faults alike) and the seed's planned
 *    random faults, each one an item (a fault and its undo are two).
 * 3. Counts: kr_sc_count's share of the written counts lowered.
 * 4. What is left moved earlier in virtual time: to 0, else a binary search
 *    for the earliest time that still fails no longer; a random fault
 *    moves with its undo (same length).
 * Every edit is an sc_options field the trace header records. */
#include "shrink.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- 1. network rates ---------------------------------------------------------- */

static bool net_has(const scenario *s, bool duplicate)
{
    bool any = duplicate ? s->net.duplicate > 0 : s->net.drop > 0;
    for (size_t i = 0; i < s->n_links; i++)
        any |= duplicate ? s->links[i].net.duplicate > 0 : s->links[i].net.drop > 0;
    return any;
}

static bool try_rate(shrinker *k, bool duplicate, int percent)
{
    shrink_run c;
    if (!shrink_copy(k, &c, &k->best)) {
        shrink_free(&c);
        return false;
    }
    c.rates_scaled = true;
    *(duplicate ? &c.duplicate : &c.drop) = percent;
    return shrink_keep(k, &c, shrink_attempt(k, &c), KEEP_IF_FAILS);
}

/* The rate at 0 and one loss (copy) placed on send #send instead; kept
 * when it fails the same way, no longer. */
static bool try_placed(shrinker *k, bool duplicate, uint64_t send)
{
    shrink_run c;
    if (k->best.n_placed == sizeof c.placed / sizeof *c.placed)
        return false;
    if (!shrink_copy(k, &c, &k->best)) {
        shrink_free(&c);
        return false;
    }
    c.rates_scaled = true;
    *(duplicate ? &c.duplicate : &c.drop) = 0;
    c.placed[c.n_placed++] =
        (sc_message_fault){send, duplicate ? KR_SIM_MESSAGE_DUPLICATED : KR_SIM_MESSAGE_LOST};
    return shrink_keep(k, &c, shrink_attempt(k, &c), KEEP_NOT_LARGER);
}

/* Finding the one message whose loss (copy) is the failure: at most this
 * many of the first sends tried. */
#define PLACE_TRIES 128

static void lower_rate(shrinker *k, bool duplicate)
{
    const char *what = duplicate ? "duplicate" : "drop";
    if (!net_has(k->s, duplicate) || !shrink_budget_left(k))
        return;
    if (try_rate(k, duplicate, 0)) {
        printf("  network %s rate: 0 (no %s)\n", what, duplicate ? "copies" : "losses");
        return;
    }
    /* The earliest single message whose loss (copy) fails the same way. */
    uint64_t tries = k->best.r.steps < PLACE_TRIES ? k->best.r.steps + 1 : PLACE_TRIES;
    for (uint64_t send = 0; send < tries && shrink_budget_left(k); send++) {
        if (try_placed(k, duplicate, send)) {
            printf("  network %s rate: 0, one message %s instead (send #%" PRIu64 ")\n", what,
                   duplicate ? "duplicated" : "lost", send);
            return;
        }
    }
    int lo = 0, hi = duplicate ? k->best.duplicate : k->best.drop; /* fails at hi */
    while (hi - lo > 1 && shrink_budget_left(k)) {
        int mid = lo + (hi - lo) / 2;
        if (try_rate(k, duplicate, mid))
            hi = mid;
        else
            lo = mid;
    }
    if (hi < 100)
        printf("  network %s rate: %d%% of the scenario's\n", what, hi);
}

/* ---- 2. items left out (ddmin) --------------------------------------------------- */

/* Item i: scripted action i (i < n_actions), else planned random fault
 * i - n_actions. */
static bool item_kept(const shrinker *k, const shrink_run *c, size_t i)
{
    if (i < k->s->n_actions)
        return !c->skip[i];
    return !c->no_random && !c->skip_random[i - k->s->n_actions];
}

static void item_leave_out(const shrinker *k, shrink_run *c, size_t i)
{
    if (i < k->s->n_actions)
        c->skip[i] = true;
    else
        c->skip_random[i - k->s->n_actions] = true;
}

static const char *kind_name(sc_action_kind kind)
{
    static const char *const names[] = {"post",  "dispatch", "http",      "partition", "heal",
                                        "crash", "restart",  "clog",      "power_off", "cut",
                                        "pause", "clock",    "disk"};
    return (size_t)kind < sizeof names / sizeof *names ? names[kind] : "action";
}

static void print_item(const shrinker *k, size_t i, const char *verb)
{
    char t[32];
    if (i < k->s->n_actions) {
        const sc_action *a = &k->s->actions[i];
        printf("  %s action #%zu (%s, line %d, at %s)\n", verb, i, kind_name(a->kind),
               a->pos.line, cli_fmt_time(a->at, t, sizeof t));
    } else {
        const sc_planned *p = &k->plan[i - k->s->n_actions];
        printf("  %s random fault #%zu (%s at %s)\n", verb, i - k->s->n_actions,
               kind_name(p->kind), cli_fmt_time(p->at, t, sizeof t));
    }
}

/* Tries leaving out items[from, from + len); true when kept. */
static bool leave_out(shrinker *k, const size_t *items, size_t from, size_t len)
{
    shrink_run c;
    if (!shrink_copy(k, &c, &k->best)) {
        shrink_free(&c);
        return false;
    }
    for (size_t i = from; i < from + len; i++)
        item_leave_out(k, &c, items[i]);
    if (!shrink_keep(k, &c, shrink_attempt(k, &c), KEEP_IF_FAILS))
        return false;
    for (size_t i = from; i < from + len; i++)
        print_item(k, items[i], "left out");
    return true;
}

/* Delta debugging's reduction to a 1-minimal set (Zeller and Hildebrandt,
 * 2002), complements only: chunks of half the items, then quarters, ...,
 * then single items until none can go. */
static void ddmin_items(shrinker *k)
{
    size_t total = k->s->n_actions + k->n_random, n = 0;
    size_t *items = malloc((total ? total : 1) * sizeof *items);
    if (!items)
        return;
    for (size_t i = 0; i < total; i++)
        if (item_kept(k, &k->best, i))
            items[n++] = i;
    for (size_t chunk = n > 1 ? n / 2 : 1; n > 0 && shrink_budget_left(k);) {
        bool removed = false;
        for (size_t from = 0; from < n && shrink_budget_left(k);) {
            size_t len = from + chunk <= n ? chunk : n - from;
            if (leave_out(k, items, from, len)) {
                memmove(items + from, items + from + len, (n - from - len) * sizeof *items);
                n -= len;
                removed = true;
            } else {
                from += len;
            }
        }
        if (chunk > 1)
            chunk /= 2;
        else if (!removed)
            break;
    }
    free(items);
}

static void leave_out_items(shrinker *k)
{
    shrink_run c;
    if (k->n_random && !k->best.no_random && shrink_budget_left(k)) {
        if (shrink_copy(k, &c, &k->best)) {
            c.no_random = true;
            if (shrink_keep(k, &c, shrink_attempt(k, &c), KEEP_IF_FAILS))
                printf("  left out every random fault (%zu planned)\n", k->n_random);
        } else {
            shrink_free(&c);
        }
    }
    ddmin_items(k);
}

/* ---- 3. counts ------------------------------------------------------------------ */

static bool try_share(shrinker *k, int share)
{
    shrink_run c;
    if (!shrink_copy(k, &c, &k->best)) {
        shrink_free(&c);
        return false;
    }
    c.workload = share;
    return shrink_keep(k, &c, shrink_attempt(k, &c), KEEP_NOT_LARGER);
}

/* Lowers every kr_sc_count (requests, records, ...) to the smallest share
 * of its written value under which the seed still fails the same way, no
 * longer: halving, then stepping back up in tenths of the gap. */
static void lower_counts(shrinker *k)
{
    if (k->best.r.counts_read == 0)
        return; /* no actor reads a count */
    int lo = 0, hi = k->best.workload; /* fails at hi; unknown below */
    static const int tries[] = {50, 25, 12, 6, 3, 1};
    for (size_t i = 0; i < sizeof tries / sizeof *tries && shrink_budget_left(k); i++) {
        if (tries[i] >= hi)
            continue;
        if (!try_share(k, tries[i])) {
            lo = tries[i];
            break;
        }
        hi = tries[i];
    }
    for (int share = lo + 1; share < hi && shrink_budget_left(k); share += (hi - lo + 9) / 10) {
        if (try_share(k, share)) {
            hi = share;
            break;
        }
    }
    if (hi < 100)
        printf("  workload counts (kr_sc_count) at %d%%\n", hi);
}

/* ---- 4. moved earlier ------------------------------------------------------------ */

/* The undo (heal, restart) the planner put right after random fault j. */
static bool has_undo(const shrinker *k, size_t j)
{
    sc_action_kind f = k->plan[j].kind;
    return j + 1 < k->n_random && (f == SC_PARTITION || f == SC_CRASH || f == SC_POWER_OFF) &&
           (k->plan[j + 1].kind == SC_HEAL || k->plan[j + 1].kind == SC_RESTART);
}

static bool is_undo(const shrinker *k, size_t j) { return j > 0 && has_undo(k, j - 1); }

static kr_duration item_at(const shrinker *k, const shrink_run *c, size_t i)
{
    return i < k->s->n_actions ? c->at[i] : c->random_at[i - k->s->n_actions];
}

/* Item i (with its undo, unless `alone`) at `at`; true when kept: the
 * same failure, no longer. */
static bool try_at(shrinker *k, size_t i, kr_duration at, bool alone)
{
    shrink_run c;
    if (!shrink_copy(k, &c, &k->best)) {
        shrink_free(&c);
        return false;
    }
    if (i < k->s->n_actions) {
        c.at[i] = at;
    } else {
        size_t j = i - k->s->n_actions;
        kr_duration by = c.random_at[j] - at;
        c.random_at[j] = at;
        if (has_undo(k, j) && !alone)
            c.random_at[j + 1] -= by;
    }
    return shrink_keep(k, &c, shrink_attempt(k, &c), KEEP_NOT_LARGER);
}

/* Finer than this, moving a fault earlier gains nothing worth a run. */
#define MOVE_RESOLUTION KR_MSEC(1)
#define MOVE_SCAN 32

/* Item i as early as it goes, no earlier than `floor`; true when moved. */
static bool move_earlier(shrinker *k, size_t i, kr_duration floor, bool alone)
{
    kr_duration was = item_at(k, &k->best, i);
    if (was <= floor)
        return false;
    /* Whether a fault at time t still fails is seldom monotone in t (what
     * is in flight, what a power-off keeps), so a coarse scan from the
     * floor first, then a binary search below the first time that fails. */
    kr_duration bad = floor, good = was;
    for (int step = 0; step < MOVE_SCAN && shrink_budget_left(k); step++) {
        kr_duration t = floor + (was - floor) / MOVE_SCAN * step;
        if (try_at(k, i, t, alone)) {
            good = t;
            break;
        }
        bad = t;
    }
    if (good > floor) {
        while (good - bad > MOVE_RESOLUTION && good - bad > (was - floor) / 64 &&
               shrink_budget_left(k)) {
            kr_duration mid = bad + (good - bad) / 2;
            if (try_at(k, i, mid, alone))
                good = mid;
            else
                bad = mid;
        }
    }
    kr_duration now = item_at(k, &k->best, i);
    if (now == was)
        return false;
    char t[32], u[32];
    if (i < k->s->n_actions)
        printf("  moved action #%zu (line %d) from %s to %s\n", i, k->s->actions[i].pos.line,
               cli_fmt_time(was, t, sizeof t), cli_fmt_time(now, u, sizeof u));
    else
        printf("  moved random fault #%zu (%s) from %s to %s\n", i - k->s->n_actions,
               kind_name(k->plan[i - k->s->n_actions].kind), cli_fmt_time(was, t, sizeof t),
               cli_fmt_time(now, u, sizeof u));
    return true;
}

static bool move_items(shrinker *k)
{
    bool moved = false;
    for (size_t i = 0; i < k->s->n_actions + k->n_random && shrink_budget_left(k); i++) {
        if (!item_kept(k, &k->best, i) ||
            (i >= k->s->n_actions && is_undo(k, i - k->s->n_actions) &&
             item_kept(k, &k->best, i - 1)))
            continue; /* an undo moves with its fault */
        moved |= move_earlier(k, i, 0, false);
        size_t j = i - k->s->n_actions;
        if (i >= k->s->n_actions && has_undo(k, j) && item_kept(k, &k->best, i + 1))
            moved |= move_earlier(k, i + 1, k->best.random_at[j], true); /* a shorter fault */
    }
    return moved;
}

/* ---- 5. slow messages placed early ---------------------------------------------- */

static bool latency_spread(const scenario *s)
{
    bool any = s->net.latency_max > s->net.latency_min;
    for (size_t i = 0; i < s->n_links; i++)
        any |= s->links[i].net.latency_max > s->links[i].net.latency_min;
    return any;
}

/* Sends [send, send + n) slow; kept when the run is shorter. */
static bool try_slow(shrinker *k, uint64_t send, size_t n)
{
    shrink_run c;
    if (k->best.n_placed + n > sizeof c.placed / sizeof *c.placed)
        return false;
    if (!shrink_copy(k, &c, &k->best)) {
        shrink_free(&c);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        c.placed[c.n_placed++] = (sc_message_fault){send + i, KR_SIM_MESSAGE_SLOW};
    return shrink_keep(k, &c, shrink_attempt(k, &c), KEEP_SMALLER);
}

#define SLOW_TRIES 32

/* A failure that needs a slow message (a reply racing a timeout) late in
 * the run comes sooner when an early message is that slow instead: one
 * send, then two in a row (a request and its reply), at the link's largest
 * latency, kept only when the run gets shorter. */
static bool slow_earlier(shrinker *k)
{
    if (!latency_spread(k->s))
        return false;
    for (size_t n = 1; n <= 2; n++) {
        uint64_t tries = k->best.r.steps < SLOW_TRIES ? k->best.r.steps : SLOW_TRIES;
        for (uint64_t send = 0; send < tries && shrink_budget_left(k); send++) {
            if (try_slow(k, send, n)) {
                printf("  network: send%s #%" PRIu64 "%s at the link's largest latency\n",
                       n > 1 ? "s" : "", send, n > 1 ? " and the next" : "");
                return true;
            }
        }
    }
    return false;
}

void shrink_workload(shrinker *k)
{
    lower_rate(k, false);
    lower_rate(k, true);
    leave_out_items(k);
    lower_counts(k);
    /* An earlier fault may make others unneeded, and one left out may let
     * another move earlier: again while the run gets shorter. */
    for (uint64_t steps = UINT64_MAX; k->best.r.steps < steps && shrink_budget_left(k);) {
        steps = k->best.r.steps;
        bool moved = move_items(k);
        while (slow_earlier(k)) /* bounded: each one takes a placed fault */
            lower_counts(k);     /* the failure now needs fewer of them */
        if (moved)
            ddmin_items(k);
    }
}
