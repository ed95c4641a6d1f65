#!/bin/bash
# The backend seam is declared in two headers and nowhere else
# (runtime/BACKENDS.md): runtime/core/core.h (what a backend may use of the
# core) and runtime/core/backend.h (the hooks a backend provides). Checks,
# on the built objects of both libraries:
#  1. a backend's sources include no core header but backend.h, core.h and
#     the header-only prng.h;
#  2. every kr__ symbol a backend object takes from a core object is
#     declared in core.h, and every one the core takes from a backend object
#     in backend.h;
#  3. no source file of the core or a backend declares a kr__ function or
#     variable for itself (an `extern` or a prototype outside a header).
# usage: seam_check.sh SOURCE_DIR BUILD_DIR
set -u
src=$1
build=$2
status=0
fail() {
    echo "seam: $*" >&2
    status=1
}

core_h=$src/runtime/core/core.h
backend_h=$src/runtime/core/backend.h

# 1. includes
for f in "$src"/runtime/real/*.[ch] "$src"/sim/backend/*.[ch]; do
    while read -r inc; do
        [ -e "$src/runtime/core/$inc" ] || continue
        case $inc in
            backend.h | core.h | prng.h) ;;
            *) fail "${f#"$src"/} includes the core header $inc (use core.h)" ;;
        esac
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done

# 2. the link
declared_in() { # name header
    grep -Eq "(^|[^A-Za-z0-9_])$1([^A-Za-z0-9_]|$)" "$2"
}
defined() { nm --defined-only "$@" 2>/dev/null | awk '$2 ~ /^[TDBRVWGS]$/ {print $3}' | sort -u; }
used() { nm -u "$@" 2>/dev/null | awk '{print $2}' | grep '^kr__' | sort -u; }
check_lib() { # target backend-dir
    local dir=$build/CMakeFiles/$1.dir
    local core_objs=("$dir"/runtime/core/*.o)
    local backend_objs=("$dir"/$2/*.o)
    if [ ! -e "${core_objs[0]}" ] || [ ! -e "${backend_objs[0]}" ]; then
        fail "no objects under $dir (build $1 first)"
        return
    fi
    local name
    for name in $(comm -12 <(used "${backend_objs[@]}") <(defined "${core_objs[@]}")); do
        declared_in "$name" "$core_h" || fail "$2 uses $name, not declared in core.h"
    done
    for name in $(comm -12 <(used "${core_objs[@]}") <(defined "${backend_objs[@]}")); do
        declared_in "$name" "$backend_h" || fail "the core uses $2's $name, not declared in backend.h"
    done
    echo "seam: $1: $(comm -12 <(used "${backend_objs[@]}") <(defined "${core_objs[@]}") | wc -l) core symbols used by $2, $(comm -12 <(used "${core_objs[@]}") <(defined "${backend_objs[@]}") | wc -l) hooks"
}
check_lib kairos_objects runtime/real
check_lib kairos_sim_objects sim/backend

# 3. hand-made declarations in .c files
for f in "$src"/runtime/core/*.c "$src"/runtime/real/*.c "$src"/sim/backend/*.c; do
    grep -nE '^(extern[[:space:]].*kr__|[A-Za-z_][A-Za-z0-9_ *]*[ *]kr__[A-Za-z0-9_]+\([^{]*\);)' "$f" |
        grep -v '^[0-9]*:static' |
        while read -r line; do
            echo "seam: ${f#"$src"/}:$line: declare it in a header" >&2
            echo x
        done | grep -q x && status=1
done
exit $status
