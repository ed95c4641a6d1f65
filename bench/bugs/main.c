/* kairos-bugs: the kairos command with the bug bench's actor types. */
#include "bugs.h"

bool bugs_fixed(const kr_sc_args *args)
{
    bool fixed = false;
    return kr_sc_bool(args, "fixed", false, &fixed) == 0 && fixed;
}

int main(int argc, char **argv)
{
    bugs_register_race();
    bugs_register_ordering();
    bugs_register_timeout();
    bugs_register_split_brain();
    bugs_register_sequencer();
    bugs_register_liveness();
    return kr_scenario_main(argc, argv);
}
