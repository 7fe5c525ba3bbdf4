#!/usr/bin/env bash
# Coverage-guided fuzzing with Jazzer (libFuzzer) of the decoders and parsers that take outside input:
#   ops/bench/fuzz.sh MINUTES [TARGET...]
# TARGET: Ikev2Decoder Ikev1Decoder ConfigText ConfigJsonDoor (shared-model: decoders and the config doors)
#         Ikev2Responder Ikev1Responder Ikev2Initiator (control-plane: the IKE engines, EngineFuzzTest)
#         IkeFragments (control-plane: IKE fragment reassembly with the SA's keys, FragmentFuzzTest)
#         EspInbound (dataplane: the inbound ESP path with a real SA, EspInboundFuzzTest)
# (default: all), each for MINUTES. Each starts from the kept inputs of its @FuzzTest (src/test/resources/.../fuzz/
# *Inputs/ of its module) and prints executions, speed and findings; a finding's input is written to
# target/fuzz/TARGET/ and the script exits 1.
# Add a finding to the @FuzzTest's Inputs directory once fixed, so the suite replays it from then on.
# FUZZ_SECONDS=N runs each target N seconds instead of MINUTES (a quick check of the script itself).
# FUZZ_RUNS=N stops each target after N executions instead (MINUTES is then ignored), e.g. FUZZ_RUNS=1000000.
set -euo pipefail
minutes=${1:?usage: fuzz.sh MINUTES [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(Ikev2Decoder Ikev1Decoder ConfigText ConfigJsonDoor Ikev2Responder Ikev1Responder Ikev2Initiator
  IkeFragments EspInbound)
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
for cand in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25*; do
  if [ -n "$cand" ] && [ -x "$cand/bin/java" ]; then export JAVA_HOME=$cand; break; fi
done
# one reactor run: each module's fuzz.cp names its siblings' target/classes, not jars from ~/.m2
./mvnw -B -q -ntp -o -pl control-plane -am test-compile dependency:build-classpath -Dmdep.outputFile=target/fuzz.cp \
  -Dmdep.includeScope=test >&2
cp="shared-model/target/test-classes:dataplane/target/test-classes:control-plane/target/test-classes:control-plane/target/classes"
cp="$cp:$(cat control-plane/target/fuzz.cp):$(cat shared-model/target/fuzz.cp)"
declare -A seeds=([Ikev2Decoder]=shared-model/src/test/resources/net/palisade/model/fuzz/DecoderFuzzTestInputs/ikev2
                  [Ikev1Decoder]=shared-model/src/test/resources/net/palisade/model/fuzz/DecoderFuzzTestInputs/ikev1
                  [ConfigText]=shared-model/src/test/resources/net/palisade/model/fuzz/ConfigFuzzTestInputs/text
                  [ConfigJsonDoor]=shared-model/src/test/resources/net/palisade/model/fuzz/ConfigFuzzTestInputs/json
                  [Ikev2Responder]=control-plane/src/test/resources/net/palisade/controlplane/fuzz/EngineFuzzTestInputs/ikev2Responder
                  [Ikev1Responder]=control-plane/src/test/resources/net/palisade/controlplane/fuzz/EngineFuzzTestInputs/ikev1Responder
                  [Ikev2Initiator]=control-plane/src/test/resources/net/palisade/controlplane/fuzz/EngineFuzzTestInputs/ikev2Initiator
                  [IkeFragments]=control-plane/src/test/resources/net/palisade/controlplane/fuzz/FragmentFuzzTestInputs/reassembly
                  [EspInbound]=dataplane/src/test/resources/net/palisade/dataplane/worker/EspInboundFuzzTestInputs/inbound)
declare -A classes=([Ikev2Decoder]=net.palisade.model.fuzz [Ikev1Decoder]=net.palisade.model.fuzz
                    [ConfigText]=net.palisade.model.fuzz [ConfigJsonDoor]=net.palisade.model.fuzz
                    [Ikev2Responder]=net.palisade.controlplane.fuzz [Ikev1Responder]=net.palisade.controlplane.fuzz
                    [Ikev2Initiator]=net.palisade.controlplane.fuzz [IkeFragments]=net.palisade.controlplane.fuzz
                    [EspInbound]=net.palisade.dataplane.worker)
status=0
printf '%-16s %8s %14s %10s %s\n' target seconds executions exec/s result
for t in "${targets[@]}"; do
  work=target/fuzz/$t
  rm -rf "$work"; mkdir -p "$work/corpus"
  [ -n "${seeds[$t]:-}" ] || { echo "fuzz.sh: unknown target $t" >&2; exit 2; }
  cp "${seeds[$t]}"/* "$work/corpus/"
  log=$work/jazzer.log
  if [ -n "${FUZZ_RUNS:-}" ]; then limit="-runs=$FUZZ_RUNS"; else limit="-max_total_time=${FUZZ_SECONDS:-$((minutes * 60))}"; fi
  set +e
  t0=$(date +%s)
  "$JAVA_HOME/bin/java" -XX:+EnableDynamicAgentLoading -cp "$cp" com.code_intelligence.jazzer.Jazzer \
    --target_class="${classes[$t]}.FuzzTargets\$$t" --instrumentation_includes='net.palisade.**' \
    --reproducer_path="$work" -artifact_prefix="$work/" $limit -print_final_stats=1 \
    "$work/corpus" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  result=ok
  if [ $rc -ne 0 ]; then result="FINDING (rc $rc, see $log)"; status=1; fi
  printf '%-16s %8s %14s %10s %s\n' "$t" "$(( $(date +%s) - t0 ))" "${runs:-?}" "${speed:-?}" "$result"
done
exit $status
