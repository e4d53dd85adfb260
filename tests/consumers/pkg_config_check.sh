#!/usr/bin/env bash
# The installed pkg-config files: versions, and a C++ and a C consumer built
# with nothing but `pkg-config --cflags --libs`.
#   pkg_config_check.sh PKGCONFIG_DIR CXX CC VERSION POLICY WORK_DIR
set -euo pipefail
pc_dir=$1 cxx=$2 cc=$3 version=$4 policy=$5 work=$6
here=$(cd "$(dirname "$0")" && pwd)
export PKG_CONFIG_PATH="$pc_dir"
mkdir -p "$work"

for module in scopegate scopegate-c; do
  got=$(pkg-config --modversion "$module")
  [ "$got" = "$version" ] || { echo "$module: version $got, want $version"; exit 1; }
done

# shellcheck disable=SC2046 # pkg-config prints a list of words
"$cxx" "$here/consumer.cpp" $(pkg-config --cflags --libs scopegate) -o "$work/consumer"
"$work/consumer" "$policy"
# shellcheck disable=SC2046
"$cc" -std=c11 "$here/c_consumer.c" $(pkg-config --cflags --libs scopegate-c) -o "$work/c_consumer"
LD_LIBRARY_PATH="$(pkg-config --variable=libdir scopegate-c)" "$work/c_consumer" "$policy"
echo "pkg-config: scopegate and scopegate-c $version build and run"
