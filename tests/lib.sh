# Shared helpers of the shell tests (sourced, not run). The caller sets
# $T (its own temporary directory) before calling expect.
#   fail/pass MESSAGE          count a failure / print a success
#   expect STATUS DESCRIPTION -- COMMAND...
#                              run COMMAND, output in $T/out and $T/err; its
#                              exit status must be STATUS. With
#                              EXPECT_TIMEOUT=S set, COMMAND is killed (KILL:
#                              the whole group, workers ignore TERM) after S
#                              seconds, which shows as exit 137.
#   has FILE REGEX DESCRIPTION FILE must match REGEX (grep -E)
#   finish                     print the failure count; status 0 iff none
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

expect() {
    local want=$1 what=$2
    shift 3
    if [ -n "${EXPECT_TIMEOUT:-}" ]; then
        timeout -s KILL "$EXPECT_TIMEOUT" "$@" >"$T/out" 2>"$T/err"
    else
        "$@" >"$T/out" 2>"$T/err"
    fi
    local got=$?
    if [ "$got" -eq "$want" ]; then pass "$what (exit $got)"; else
        fail "$what: exit $got, expected $want: $*"
        sed 's/^/    out: /' "$T/out" | head -20
        sed 's/^/    err: /' "$T/err" | head -20
    fi
}

has() {
    if grep -Eq -- "$2" "$1"; then pass "$3"; else
        fail "$3: no /$2/ in $1"
        sed 's/^/    /' "$1" | head -20
    fi
}

finish() {
    echo "$failures failure(s)"
    [ "$failures" -eq 0 ]
}
