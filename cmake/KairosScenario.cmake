# kairos_add_scenario_runner(<target> <source>...)
#
# Builds <target>, a scenario runner: the kairos command (run, sweep, replay,
# shrink, check, types) with your own actor types, actions and invariants
# linked in. Your sources register them and call the command:
#
#   #include <kairos/scenario.h>
#   int main(int argc, char **argv)
#   {
#       kr_actor_register("my-type", my_type_new, "what it does");
#       kr_invariant_register("my-invariant", my_invariant, "what must hold");
#       return kr_scenario_main(argc, argv);
#   }
#
# and in CMakeLists.txt:
#
#   find_package(kairos REQUIRED)
#   kairos_add_scenario_runner(my-runner main.c my_types.c)
#   # ./my-runner sweep my.yaml --seeds 1..1000
#
# The target links kairos::kairos_harness (the scenario harness, which brings
# kairos::kairos_sim and its KAIROS_SIM); add more with
# target_link_libraries(<target> PRIVATE ...) as usual. Inside this source
# tree (add_subdirectory) the same function works on the build targets.
function(kairos_add_scenario_runner target)
  if(ARGC LESS 2)
    message(FATAL_ERROR "kairos_add_scenario_runner(${target}): give at least one source file")
  endif()
  add_executable(${target} ${ARGN})
  target_link_libraries(${target} PRIVATE kairos::kairos_harness)
endfunction()
