/* A plugin for `kairos --load` (tests/test_sim_cli.sh): the actor type
 * "crasher", which aborts the whole process in initialize for seeds
 * s % 7 == 3 and does nothing otherwise, so a sweep meets crashing workers. */
#include <kairos/scenario.h>

#include <stdlib.h>

static void crasher_init(kr_process *self)
{
    (void)self;
    if (kr_sim_seed() % 7 == 3)
        abort();
}

static const kr_process_ops crasher_ops = {.initialize = crasher_init};

static kr_process *crasher_new(const char *id, const kr_sc_args *args)
{
    (void)args;
    kr_process *p = calloc(1, sizeof *p);
    if (p)
        kr_process_init(p, id, &crasher_ops);
    return p;
}

/* Called by `kairos --load` after dlopen. */
__attribute__((visibility("default"))) void kairos_register(void);
void kairos_register(void)
{
    kr_actor_register("crasher", crasher_new, "aborts the process for seeds s % 7 == 3");
}
