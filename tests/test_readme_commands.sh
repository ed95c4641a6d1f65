#!/usr/bin/env bash
# Every command that README.md, reports/README.md and bench/bugs/README.md
# show in ```sh blocks, run as written and in order (issue 9, defect 5), by
# ctest as `readme_commands`:
#   tests/test_readme_commands.sh SOURCE_DIR BUILD_DIR
# The commands are extracted from the two files each time, so when the
# README changes, its new commands are the ones run. They run in a scratch
# copy of the repository whose build/ is a link to BUILD_DIR; a command
# fails the test when it exits non-zero (for the kairos command under build/:
# 2 or more, bad input or a missing file, since 1 is "a failure found",
# which the bank race is there to show), or when a shrink shrinks nothing
# (its seed passes) and leaves no trace for the next command.
set -u
SRC=$(cd "${1:?usage: test_readme_commands.sh SOURCE_DIR BUILD_DIR}" && pwd)
BUILD=$(cd "${2:?usage: test_readme_commands.sh SOURCE_DIR BUILD_DIR}" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/kairos-readme-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# The scratch repository: the sources (not the build trees, not .git),
# reports/ empty as in a fresh clone, build/ -> the real build.
R=$T/repo
mkdir -p "$R"
for f in "$SRC"/* "$SRC"/.ci; do
    case $(basename "$f") in build* | reports) continue ;; esac
    [ -e "$f" ] && cp -R "$f" "$R/"
done
mkdir -p "$R/reports"
cp "$SRC/reports/README.md" "$R/reports/"
ln -s "$BUILD" "$R/build"
# README's pkg-config commands compile the user's files against Kairos
# installed into a scratch prefix: app.c is README's C example (its first
# ```c block); runner.c is the smallest runner README describes (one that
# calls kr_scenario_main).
awk '/^```c[[:space:]]*$/ { on = 1; next } /^```/ { if (on) exit } on' "$SRC/README.md" >"$R/app.c"
[ -s "$R/app.c" ] || fail "README.md has no \`\`\`c block to compile as app.c"
printf '%s\n' '#include <kairos/scenario.h>' \
    'int main(int argc, char **argv) { return kr_scenario_main(argc, argv); }' >"$R/runner.c"
cmake --install "$BUILD" --prefix "$T/prefix" >"$T/install.log" 2>&1 || {
    fail "cmake --install $BUILD"; cat "$T/install.log"; }
PKG_CONFIG_PATH=$(find "$T/prefix" -name pkgconfig -type d | paste -sd: -)
export PKG_CONFIG_PATH

# The commands of the ```sh blocks, a trailing backslash joining lines,
# comment lines dropped, one per line.
commands() {
    awk '/^```sh[[:space:]]*$/ { on = 1; next }
         /^```/ { on = 0; next }
         on && /^[[:space:]]*(#|$)/ { next }
         on { if (sub(/\\$/, "")) { held = held $0; next } print held $0; held = "" }' "$1"
}

n=0
for md in README.md reports/README.md bench/bugs/README.md; do
    commands "$SRC/$md" >"$T/commands"
    [ -s "$T/commands" ] || fail "$md: no \`\`\`sh commands found"
    while IFS= read -r cmd; do
        case $cmd in
        # README's two set-up commands: CI runs them itself, exactly as a
        # newcomer does (demo first, then the tests, in one clone); run from
        # here they would rebuild and re-run this very suite.
        ./scripts/demo.sh | ./scripts/test.sh)
            echo "skipped (CI runs it): $cmd"; continue ;;
        # The coverage build (reports/README.md, "Coverage"): CI's stage 9
        # runs these two commands as written; from inside ctest they would
        # run the whole suite again, this test included.
        *build-cov*)
            echo "skipped (CI's coverage stage runs it): $cmd"; continue ;;
        esac
        n=$((n + 1))
        (cd "$R" && bash -c "$cmd") >"$T/out" 2>"$T/err" </dev/null
        rc=$?
        # 1 is "a failure found" only for the kairos command (under build/).
        ok=0
        case $cmd in build/*) ok=1 ;; esac
        if [ "$rc" -le "$ok" ]; then pass "$md: $cmd (exit $rc)"; else
            fail "$md: $cmd: exit $rc"
            sed 's/^/    out: /' "$T/out" | tail -8
            sed 's/^/    err: /' "$T/err" | tail -8
        fi
        # A shrink must leave its trace: the next command replays it.
        case $cmd in *" shrink "*)
            grep -q "^shrunk trace: " "$T/out" && pass "$md: the shrink example's seed fails and shrinks" ||
                fail "$md: '$cmd' shrank nothing (the seed passes?): $(head -3 "$T/out")" ;;
        esac
    done <"$T/commands"
done
[ "$n" -ge 10 ] && pass "$n commands run" || fail "only $n commands found and run"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
