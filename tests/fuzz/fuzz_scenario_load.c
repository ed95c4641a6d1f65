/* libFuzzer target: any bytes as a scenario file must load or be rejected
 * with an error, never crash, hang or leak (ASan/UBSan/LeakSanitizer).
 *
 * The loader (sim/harness/scenario/load.c) is compiled into this program with
 * coverage instrumentation; the registry it consults is the fixed fake one
 * below, so the target needs no runtime. Run it with .ci/fuzz.sh. */
#include "scenario_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a fixed registry: the names the seed corpus uses ---------------------- */

static kr_process *make_nothing(const char *id, const kr_sc_args *args)
{
    (void)id;
    (void)args;
    return NULL;
}

static void act_nothing(kr_process *self, const void *arg)
{
    (void)self;
    (void)arg;
}

static bool holds(char *why, size_t why_len)
{
    (void)why;
    (void)why_len;
    return true;
}

static sc_type fake_types[] = {
    {"pinger", "", make_nothing}, {"account", "", make_nothing}, {"echo", "", make_nothing},
    {"counter", "", make_nothing}, {"forwarder", "", make_nothing},
};

const sc_type *kr__sc_type(const char *name)
{
    for (size_t i = 0; i < sizeof fake_types / sizeof *fake_types; i++)
        if (strcmp(fake_types[i].name, name) == 0)
            return &fake_types[i];
    return NULL;
}

kr_fn kr__sc_action(const char *type, const char *action)
{
    return strcmp(type, "pinger") == 0 && strcmp(action, "start") == 0 ? act_nothing : NULL;
}

kr_invariant_fn kr__sc_invariant(const char *name)
{
    return strcmp(name, "money-conserved") == 0 || strcmp(name, "leader-elected") == 0 ? holds
                                                                                        : NULL;
}

/* ---- the target ------------------------------------------------------------------- */

static char path[64];

static void remove_input(void) { unlink(path); }

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(path, sizeof path, "/tmp/kairos-fuzz-%ld.yaml", (long)getpid());
    atexit(remove_input); /* libFuzzer ends with exit() */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort(); /* the harness itself is broken: stop loudly */
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    scenario *s = NULL;
    char err[512];
    int rc = kr__sc_load(path, &s, err, sizeof err);
    /* The loader's contract: a scenario exactly when it returns 0, and an
     * error message that names the file otherwise. */
    if ((rc == 0) != (s != NULL) || (rc != 0 && strncmp(err, path, strlen(path)) != 0))
        abort();
    kr__sc_free(s);
    return 0;
}
