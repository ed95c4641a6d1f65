/* The bank race: an example actor system with a classic lost update.
 *
 * An `account` keeps a balance and answers `get` with it and takes `set` to
 * overwrite it. A `teller` withdraws `amount` `count` times by reading the
 * balance (`get`), then writing balance - amount (`set`). Two tellers on two
 * nodes can both read the same balance before either writes: one
 * withdrawal is lost, and money is no longer conserved (paid out + balance
 * != initial balance). Whether the reads overlap depends on think times and
 * network latency, i.e. on the seed. The account asserts (kr_check) at the
 * very `set` that overwrites a newer balance, so a failing run stops at the
 * racing step; money-conserved checks the books at the end. `safe-teller` uses the account's atomic
 * `withdraw` instead and never loses money. */
#include <kairos/scenario.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READERS_MAX 16

typedef struct account {
    kr_process base;
    int64_t initial, balance;
    int reads_outstanding; /* gets answered, sets not yet seen */
    uint64_t version;      /* bumped by every set */
    struct {
        kr_pid who;
        uint64_t version; /* what `who` last read */
    } readers[READERS_MAX];
} account;

/* The version `who` read last; remembered per reader (a few tellers). */
static uint64_t *version_read_by(account *a, kr_pid who)
{
    size_t free_slot = READERS_MAX;
    for (size_t i = 0; i < READERS_MAX; i++) {
        if (kr_pid_equal(a->readers[i].who, who))
            return &a->readers[i].version;
        if (kr_pid_is_none(a->readers[i].who) && free_slot == READERS_MAX)
            free_slot = i;
    }
    if (free_slot == READERS_MAX)
        return NULL;
    a->readers[free_slot].who = who;
    return &a->readers[free_slot].version;
}

typedef struct teller {
    kr_process base;
    kr_pid account;
    int64_t amount, count, done, paid_out;
    kr_duration think_max;
    bool safe, in_flight;
} teller;

/* ---- account ------------------------------------------------------------- */

static void account_get(kr_process *self, const kr_message *m)
{
    account *a = (account *)self;
    if (a->reads_outstanding > 0)
        kr_probe("concurrent-reads"); /* the window the race needs */
    a->reads_outstanding++;
    uint64_t *seen = version_read_by(a, m->from);
    if (seen)
        *seen = a->version;
    kr_send(self, m->from, "balance", &a->balance, sizeof a->balance);
}

static void account_set(kr_process *self, const kr_message *m)
{
    account *a = (account *)self;
    if (m->len != sizeof(int64_t))
        return;
    /* The moment of the bug: a write computed from a balance that another
     * write has replaced since. The assertion names it at this step. */
    uint64_t *seen = version_read_by(a, m->from);
    kr_check(!seen || *seen == a->version,
             "lost update: %s writes a balance computed from version %llu, but version %llu "
             "(written by another teller) is current",
             m->from.id, seen ? (unsigned long long)*seen : 0ULL, (unsigned long long)a->version);
    memcpy(&a->balance, m->body, sizeof a->balance);
    a->version++;
    if (a->reads_outstanding > 0)
        a->reads_outstanding--;
    kr_send(self, m->from, "done", NULL, 0);
}

static void account_withdraw(kr_process *self, const kr_message *m)
{
    account *a = (account *)self;
    int64_t amount;
    if (m->len != sizeof amount)
        return;
    memcpy(&amount, m->body, sizeof amount);
    bool ok = a->balance >= amount;
    if (ok)
        a->balance -= amount;
    kr_send(self, m->from, ok ? "done" : "refused", NULL, 0);
}

static void account_init(kr_process *self)
{
    kr_install(self, "get", account_get);
    kr_install(self, "set", account_set);
    kr_install(self, "withdraw", account_withdraw);
}

static const kr_process_ops account_ops = {.initialize = account_init};

static kr_process *account_new(const char *id, const kr_sc_args *args)
{
    account *a = calloc(1, sizeof *a);
    if (!a || kr_sc_int(args, "balance", 0, INT64_MAX / 4, 100, &a->initial) != 0) {
        free(a);
        return NULL;
    }
    a->balance = a->initial;
    kr_process_init(&a->base, id, &account_ops);
    return &a->base;
}

/* ---- tellers ----------------------------------------------------------------- */

static void teller_begin(kr_process *self)
{
    teller *t = (teller *)self;
    t->in_flight = true;
    if (t->safe)
        kr_send(self, t->account, "withdraw", &t->amount, sizeof t->amount);
    else
        kr_send(self, t->account, "get", NULL, 0);
}

/* The teller's own next withdrawal (`count` of them, `think` apart). */
static void teller_start(kr_process *self, const void *arg)
{
    (void)arg;
    teller *t = (teller *)self;
    if (t->done < t->count && !t->in_flight)
        teller_begin(self);
}

/* A scenario's `dispatch: withdraw`: one more withdrawal, now if idle. */
static void teller_withdraw(kr_process *self, const void *arg)
{
    (void)arg;
    teller *t = (teller *)self;
    t->count++;
    if (!t->in_flight)
        teller_begin(self);
}

static void teller_think_then_start(kr_process *self)
{
    teller *t = (teller *)self;
    kr_duration think = t->think_max > 0 ? (kr_duration)(kr_random() % (uint64_t)t->think_max) : 0;
    kr_delay(think, kr_self(self), teller_start, NULL, 0);
}

static void teller_balance(kr_process *self, const kr_message *m)
{
    teller *t = (teller *)self;
    int64_t balance;
    if (m->len != sizeof balance)
        return;
    memcpy(&balance, m->body, sizeof balance);
    if (balance < t->amount) {
        t->in_flight = false;
        t->done = t->count; /* nothing left to take */
        return;
    }
    int64_t next = balance - t->amount; /* read-modify-write across messages: the bug */
    t->paid_out += t->amount;
    kr_send(self, t->account, "set", &next, sizeof next);
}

static void teller_done(kr_process *self, const kr_message *m)
{
    (void)m;
    teller *t = (teller *)self;
    t->in_flight = false;
    if (t->safe)
        t->paid_out += t->amount;
    if (++t->done < t->count)
        teller_think_then_start(self);
}

static void teller_refused(kr_process *self, const kr_message *m)
{
    (void)m;
    ((teller *)self)->in_flight = false;
    ((teller *)self)->done = ((teller *)self)->count;
}

static void teller_init(kr_process *self)
{
    kr_install(self, "balance", teller_balance);
    kr_install(self, "done", teller_done);
    kr_install(self, "refused", teller_refused);
    if (((teller *)self)->count > 0)
        teller_think_then_start(self);
}

static const kr_process_ops teller_ops = {.initialize = teller_init};

static kr_process *teller_make(const char *id, const kr_sc_args *args, bool safe)
{
    teller *t = calloc(1, sizeof *t);
    if (!t || kr_sc_require(args, "account") != 0 || kr_sc_pid(args, "account", &t->account) != 0 ||
        kr_sc_int(args, "amount", 1, 1000000, 10, &t->amount) != 0 ||
        kr_sc_int(args, "count", 0, 1000000, 3, &t->count) != 0 ||
        kr_sc_duration(args, "think", KR_MSEC(50), &t->think_max) != 0 ||
        kr_pid_is_none(t->account)) {
        free(t);
        return NULL;
    }
    t->safe = safe;
    kr_process_init(&t->base, id, &teller_ops);
    return &t->base;
}

static kr_process *teller_new(const char *id, const kr_sc_args *a) { return teller_make(id, a, false); }
static kr_process *safe_teller_new(const char *id, const kr_sc_args *a) { return teller_make(id, a, true); }

/* ---- the invariant: money is conserved ------------------------------------------ */

typedef struct ledger {
    int64_t initial, balance, paid_out;
} ledger;

static void add_account(kr_process *p, const char *type, void *ctx)
{
    (void)type;
    ledger *l = ctx;
    l->initial += ((account *)p)->initial;
    l->balance += ((account *)p)->balance;
}

static void add_teller(kr_process *p, const char *type, void *ctx)
{
    (void)type;
    ((ledger *)ctx)->paid_out += ((teller *)p)->paid_out;
}

/* Holds once every write has landed; checked at the end of a run. */
static bool money_conserved(char *why, size_t len)
{
    ledger l = {0};
    kr_sc_each("bank-account", add_account, &l);
    kr_sc_each("bank-teller", add_teller, &l);
    kr_sc_each("bank-safe-teller", add_teller, &l);
    if (l.balance + l.paid_out == l.initial)
        return true;
    snprintf(why, len, "balance %lld + paid out %lld != initial %lld (%+lld appeared from a lost update)",
             (long long)l.balance, (long long)l.paid_out, (long long)l.initial,
             (long long)(l.balance + l.paid_out - l.initial));
    return false;
}

/* Never negative: holds after every step, even with the race. */
static bool balance_nonnegative(char *why, size_t len)
{
    ledger l = {0};
    kr_sc_each("bank-account", add_account, &l);
    if (l.balance >= 0)
        return true;
    snprintf(why, len, "balance %lld < 0", (long long)l.balance);
    return false;
}

void kairos_register_bank(void);
void kairos_register_bank(void)
{
    kr_actor_register("bank-account", account_new, "a balance: get/set (racy) and withdraw (atomic)");
    kr_actor_register("bank-teller", teller_new,
                      "withdraws `amount` `count` times by get then set (racy), `think` between");
    kr_action_register("bank-teller", "withdraw", teller_withdraw);
    kr_action_register("bank-safe-teller", "withdraw", teller_withdraw);
    kr_actor_register("bank-safe-teller", safe_teller_new,
                      "withdraws `amount` `count` times with the atomic withdraw");
    kr_invariant_register("money-conserved", money_conserved,
                          "balance + paid out == initial balance");
    kr_invariant_register("balance-nonnegative", balance_nonnegative, "no account below zero");
}

/* Registered when linked into a runner or loaded with kairos --load. */
__attribute__((constructor)) static void register_on_load(void) { kairos_register_bank(); }
