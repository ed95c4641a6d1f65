/* The kairos command: the scenario engine with the built-in actor types
 * (and whatever `--load LIB.so` registers). */
#include <kairos/scenario.h>

int main(int argc, char **argv)
{
    return kr_scenario_main(argc, argv);
}
