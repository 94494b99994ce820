#!/usr/bin/env bash
# Builds a self-contained bundle for a GPU host that has the NVIDIA driver but no Java and no registry access:
#   <out>/jre   a jlink'ed Java runtime (java.base, java.logging, jdk.unsupported: 34 MB)
#   <out>/lib   equinox-gpu, equinox-core and their runtime jars (JCuda + its linux-x86_64 natives, JNA, picocli, ...)
#   <out>/bin/equinox-gpu   launcher: bin/equinox-gpu probe | serve-bench ... | calibrate ...
#   <out>/tests  the module's compiled tests and the JUnit console launcher, for the GPU tests (scripts/gpu-checks.sh)
# Run from the repository root on a development machine (JDK 17 with jlink/jdeps):
#   equinox-gpu/scripts/make-gpu-bundle.sh [out-dir]
# then copy the directory to the GPU host (scp -r / rsync) and run bin/equinox-gpu there.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/equinox-gpu/target/gpu-bundle}"
cd "$root"
mkdir -p "$out" && out="$(cd "$out" && pwd)"  # absolute: Maven resolves relative paths against the module
./mvnw -q -B -pl equinox-gpu -am package -DskipTests
./mvnw -q -B -pl equinox-gpu test-compile
rm -rf "$out"
mkdir -p "$out/lib" "$out/bin"
./mvnw -q -B -pl equinox-gpu dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out/lib"
# the reactor's equinox-core, not a possibly older one from the local repository
cp $(ls equinox-core/target/equinox-core-*.jar | grep -v -- -tests.jar) equinox-gpu/target/equinox-gpu-*.jar "$out/lib/"
mkdir -p "$out/tests"
cp -r equinox-gpu/target/test-classes "$out/tests/classes"
./mvnw -q -B dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.4 -DoutputDirectory="$out/tests"
# jdeps also reports java.desktop (JNA's optional AWT support, which Equinox never calls; measured: JNA loads and
# NVML binds without it); leaving it out takes the runtime from 48 MB to 34 MB.
modules="$(jdeps --multi-release 17 --ignore-missing-deps --print-module-deps --class-path "$out/lib/*" "$out"/lib/equinox-gpu-*.jar 2>/dev/null | tail -n 1)"
modules="$(printf '%s' "${modules:-java.base,java.logging}" | tr ',' '\n' | grep -vx java.desktop | paste -sd, -),jdk.unsupported"
echo "jlink modules: $modules"
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out/jre"
cat > "$out/bin/equinox-gpu" <<'LAUNCH'
#!/usr/bin/env sh
here="$(cd "$(dirname "$0")/.." && pwd)"
exec "$here/jre/bin/java" ${JAVA_OPTS:-} -cp "$here/lib/*" dev.equinox.gpu.GpuMain "$@"
LAUNCH
chmod +x "$out/bin/equinox-gpu"
du -sh "$out/jre" "$out/lib" "$out/tests"
echo "bundle: $out   (try: $out/bin/equinox-gpu probe)"
