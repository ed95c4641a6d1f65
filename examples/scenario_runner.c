/* The kairos command with the example actor systems of scenarios/actors
 * (bank, wal) linked in: a scenario runner built exactly as a user builds
 * theirs (kairos_add_scenario_runner, see CMakeLists.txt). The actors
 * register themselves when linked; the shipped `kairos` has only the
 * built-in types.
 *   build/examples/kairos-examples sweep scenarios/bank-race.yaml */
#include <kairos/scenario.h>

int main(int argc, char **argv) { return kr_scenario_main(argc, argv); }
