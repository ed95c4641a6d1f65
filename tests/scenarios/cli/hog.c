/* A plugin for `kairos --load` (tests/test_sim_cli_limits.sh): the actor
 * type "hog", which in initialize spins forever without an event for seeds
 * s % 5 == 1, touches memory without bound for seeds s % 5 == 2 (capped at
 * 1 GiB so a broken watchdog cannot take the machine, then it spins), and
 * does nothing otherwise: the sweep's limits: wall and memory must stop
 * those seeds and go on with the others. */
#include <kairos/scenario.h>

#include <stdlib.h>
#include <string.h>

static void spin(void)
{
    for (volatile unsigned long i = 0;; i++)
        ;
}

/* Every block, reachable from here: memory a compiler cannot prove unused. */
static char *volatile hoard;

static void hog_init(kr_process *self)
{
    (void)self;
    uint64_t kind = kr_sim_seed() % 5;
    if (kind == 1)
        spin();
    if (kind == 2) {
        for (size_t total = 0; total < ((size_t)1 << 30); total += (size_t)1 << 20) {
            char *p = malloc((size_t)1 << 20);
            if (!p)
                break;
            memset(p, 1, (size_t)1 << 20); /* resident, not just reserved */
            char *prev = hoard;
            memcpy(p, &prev, sizeof prev); /* a chain, kept */
            hoard = p; /* escapes: clang may not elide the malloc and memset */
        }
        spin();
    }
}

static const kr_process_ops hog_ops = {.initialize = hog_init};

static kr_process *hog_new(const char *id, const kr_sc_args *args)
{
    (void)args;
    kr_process *p = calloc(1, sizeof *p);
    if (p)
        kr_process_init(p, id, &hog_ops);
    return p;
}

/* Called by `kairos --load` after dlopen. */
__attribute__((visibility("default"))) void kairos_register(void);
void kairos_register(void)
{
    kr_actor_register("hog", hog_new, "spins (s % 5 == 1) or eats memory (s % 5 == 2)");
}
