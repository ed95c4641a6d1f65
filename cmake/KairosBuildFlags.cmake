# Kairos' own compile and link flags (warnings, -Werror, sanitizers,
# coverage), set per target rather than with add_compile_options(), so a
# parent project that add_subdirectory()s Kairos never inherits them and
# Kairos never inherits a parent's. Applied once, at the end of the top-level
# CMakeLists.txt, to every target this tree defines: a target added anywhere
# in the tree gets them without doing anything.

# Every program and library defined in `dir` and below (not interface
# libraries, custom targets or imported targets).
function(kairos_collect_targets dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  set(found "")
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    if(type MATCHES "EXECUTABLE|LIBRARY" AND NOT type STREQUAL "INTERFACE_LIBRARY")
      list(APPEND found ${t})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    kairos_collect_targets(${sub} sub_found)
    list(APPEND found ${sub_found})
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

# The flags of KAIROS_WERROR, KAIROS_SANITIZE and KAIROS_COVERAGE, on each
# target given. BEFORE: a target's own options (bench's -O2) still come last
# and win, as they did when these were directory-wide.
function(kairos_apply_build_flags)
  set(compile -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter)
  set(link "")
  if(KAIROS_WERROR)
    list(APPEND compile -Werror)
  endif()
  if(KAIROS_SANITIZE)
    list(APPEND compile -fsanitize=${KAIROS_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    list(APPEND link -fsanitize=${KAIROS_SANITIZE})
  endif()
  if(KAIROS_COVERAGE)
    list(APPEND compile --coverage -O0)
    list(APPEND link --coverage)
  endif()
  foreach(t IN LISTS ARGN)
    target_compile_options(${t} BEFORE PRIVATE ${compile})
    if(link)
      target_link_options(${t} PRIVATE ${link})
    endif()
  endforeach()
endfunction()
