#!/usr/bin/env bash
# A parent project can add_subdirectory(kairos) on a machine without cmocka
# (issue 9, defect 15): configures tests/subproject/ (the checks are in its
# CMakeLists.txt) with pkg-config unable to see cmocka, then configures
# Kairos on its own with -DBUILD_TESTING=OFF, also without cmocka.
#
#   tests/test_subproject.sh SOURCE_DIR WORK_DIR [--build]
# --build also builds the parent's program and runs it (CI's install check).
set -euo pipefail
src=$1
work=$2
build=${3:-}
rm -rf "$work"
mkdir -p "$work/pc"

# A pkg-config search path with Kairos' own dependencies and nothing else.
for pkg in yaml-0.1 jansson; do
  ln -s "$(pkg-config --variable=pcfiledir "$pkg")/$pkg.pc" "$work/pc/$pkg.pc"
done
export PKG_CONFIG_LIBDIR=$work/pc PKG_CONFIG_PATH=
if pkg-config --exists cmocka; then
  echo "test_subproject: could not hide cmocka from pkg-config" >&2
  exit 1
fi

echo "--- a parent project doing add_subdirectory(kairos), KAIROS_WERROR=ON"
cmake -S "$src/tests/subproject" -B "$work/parent" -DKAIROS_SOURCE="$src" -DKAIROS_WERROR=ON
echo "--- Kairos on its own with -DBUILD_TESTING=OFF"
cmake -S "$src" -B "$work/top" -DBUILD_TESTING=OFF -DKAIROS_BUILD_EXAMPLES=OFF -DKAIROS_BUILD_BENCH=OFF
if grep -q 'test_pid' "$work/top/Makefile" "$work/top"/*.ninja 2>/dev/null; then
  echo "test_subproject: BUILD_TESTING=OFF still builds the tests" >&2
  exit 1
fi
if [[ $build == --build ]]; then
  echo "--- building and running the parent's program"
  cmake --build "$work/parent" -j"$(nproc)" --target parent_app
  "$work/parent/parent_app" 1
fi
echo "test_subproject: OK"
