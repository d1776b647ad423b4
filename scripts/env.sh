# Sourced by every script: where private dependencies, builds and local state live.
# Nothing here is machine-specific; override any variable from the environment.
INTELLICORE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export INTELLICORE_ROOT
export INTELLICORE_DEPS="${INTELLICORE_DEPS:-$HOME/.cache/intellicore/deps}"
export INTELLICORE_BUILD="${INTELLICORE_BUILD:-$HOME/.cache/intellicore/build}"
export INTELLICORE_STATE="${INTELLICORE_STATE:-$INTELLICORE_ROOT/.intellicore}"
# Python tools of the test suite (schemathesis), in their own virtual environment.
export INTELLICORE_PYTHON="${INTELLICORE_PYTHON:-$INTELLICORE_DEPS/python}"
export SCHEMATHESIS_BIN="${SCHEMATHESIS_BIN:-$INTELLICORE_PYTHON/bin/st}"
export TANSU_BIN="${TANSU_BIN:-$INTELLICORE_DEPS/bin/tansu}"
export PKG_CONFIG_PATH="$INTELLICORE_DEPS/librdkafka/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$INTELLICORE_DEPS/librdkafka/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="/opt/swift/usr/bin:$PATH"
