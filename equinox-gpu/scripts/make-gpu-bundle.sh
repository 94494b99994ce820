#!/usr/bin/env bash
# Builds a self-contained bundle for a GPU host that has the NVIDIA driver but no Java and no registry access:
#   <out>/jre   a jlink'ed Java runtime (only the modules jdeps finds, ~30-50 MB)
#   <out>/lib   equinox-gpu, equinox-core and their runtime jars (JCuda + its linux-x86_64 natives, JNA, picocli, ...)
#   <out>/bin/equinox-gpu   launcher: bin/equinox-gpu probe | serve-bench ... | calibrate ...
# Run from the repository root on a development machine (JDK 17 with jlink/jdeps):
#   equinox-gpu/scripts/make-gpu-bundle.sh [out-dir]
# then copy the directory to the GPU host (scp -r / rsync) and run bin/equinox-gpu there.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/equinox-gpu/target/gpu-bundle}"
cd "$root"
./mvnw -q -B -pl equinox-gpu package -DskipTests
rm -rf "$out"
mkdir -p "$out/lib" "$out/bin"
./mvnw -q -B -pl equinox-gpu dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out/lib"
cp equinox-gpu/target/equinox-gpu-*.jar "$out/lib/"
modules="$(jdeps --multi-release 17 --ignore-missing-deps --print-module-deps --class-path "$out/lib/*" "$out"/lib/equinox-gpu-*.jar 2>/dev/null | tail -n 1)"
# java.logging: JCuda's LibUtils; java.desktop: referenced by JNA (kept for safety); jdk.unsupported: JNA/Unsafe users
modules="${modules:-java.base,java.logging,java.desktop},jdk.unsupported"
echo "jlink modules: $modules"
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out/jre"
cat > "$out/bin/equinox-gpu" <<'LAUNCH'
#!/usr/bin/env sh
here="$(cd "$(dirname "$0")/.." && pwd)"
exec "$here/jre/bin/java" ${JAVA_OPTS:-} -cp "$here/lib/*" dev.equinox.gpu.GpuMain "$@"
LAUNCH
chmod +x "$out/bin/equinox-gpu"
du -sh "$out/jre" "$out/lib"
echo "bundle: $out   (try: $out/bin/equinox-gpu probe)"
