/* A test program for `kairos sweep --exec` (tests/test_sim_cli.sh): under
 * KAIROS_SEED it fails a kr_check on seeds divisible by 7 and exits 3 on
 * seeds divisible by 11; with "crash" as its argument it aborts on seed 5. */
#include <kairos/kairos.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (kr_init(NULL) != 0)
        return 2;
    uint64_t seed = kr_sim_seed();
    kr_check(seed % 7 != 0, "seed %llu is a multiple of 7", (unsigned long long)seed);
    int failed = kr_sim_failure() != NULL;
    kr_finalize();
    if (argc > 1 && strcmp(argv[1], "crash") == 0 && seed == 5)
        abort();
    if (seed % 11 == 0) {
        printf("eleven divides seed %llu\n", (unsigned long long)seed);
        return 3;
    }
    return failed;
}
