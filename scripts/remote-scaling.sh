#!/usr/bin/env bash
# Measures how N remote runners speed up one quantization job: one API (sq.jobs.runners=remote) and 1, 2, then 3
# runner JVMs on loopback, the same job each time, against the local PostgreSQL (trust on 127.0.0.1:5432) and
# RabbitMQ (guest on 127.0.0.1:5672), with artifacts in a local directory all processes share (one machine).
# Prints, per N, the job's wall time and the time in its partitioned steps (calibrate, evaluate, benchmark), and the
# speed-up against N=1. A measurement, not a test: it asserts nothing. Needs ../shared/data (stories260K, texts).
#   scripts/remote-scaling.sh            # builds first
#   SKIP_BUILD=1 scripts/remote-scaling.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/lib/java.sh
sq_select_java
[ -n "${SKIP_BUILD:-}" ] || ./mvnw -B -q -ntp -o -DskipTests -Dsq.models.skip=true -pl api -am package
SHARED=${SQ_SHARED_DIR:-../shared}/data
[ -f "$SHARED/models/stories260K/stories260K.bin" ] || { echo "needs $SHARED/models/stories260K"; exit 1; }

WORK=$(mktemp -d /tmp/sq-scaling.XXXX)
DB=sq_scaling_$$
PREFIX=sq.scaling.$$
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rabbitmqctl -q delete_queue "$PREFIX.cpu" >/dev/null 2>&1 || true
  rabbitmqctl -q delete_queue "$PREFIX.cuda" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB" >/dev/null

JAVA="java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -XX:+UseSerialGC -Xmx1g"
COMMON=(--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/$DB --spring.datasource.username=postgres
        --sq.storage.local.root="$WORK/artifacts" --sq.jobs.remote.queue-prefix=$PREFIX)
await_up() { for _ in $(seq 1 240); do curl -fs "localhost:$1/actuator/health" >/dev/null && return; sleep 0.5; done
             echo "port $1 did not come up; see $WORK"; exit 1; }
$JAVA -jar api/target/sq-api.jar "${COMMON[@]}" --server.port=18180 --sq.jobs.runners=remote \
  --sq.jobs.work-dir="$WORK/work-api" --sq.security.bootstrap-admin-key=scaling > "$WORK/api.log" 2>&1 &
PIDS+=($!)
await_up 18180
K="Authorization: Bearer scaling"
id() { python3 -c "import sys,json;print(json.load(sys.stdin)['id'])"; }
MODEL=$(curl -fs -H "$K" -F name=stories260K -F files=@$SHARED/models/stories260K/stories260K.bin \
  -F files=@$SHARED/models/stories260K/tok512.bin localhost:18180/api/v1/models | id)
CAL=$(curl -fs -H "$K" -F file=@$SHARED/text/wikitext-2-raw-test.txt localhost:18180/api/v1/datasets | id)
EVAL=$(curl -fs -H "$K" -F file=@$SHARED/text/tinystories-sample.txt localhost:18180/api/v1/datasets | id)
# 6 calibration shards of 64 windows of 256, 3 variants x 2 datasets to evaluate (wikitext head, tinystories),
# a 2 x 2 benchmark grid per variant: 6 + 6 + 12 partitions.
SPEC=$(cat <<JSON
{"modelId":"$MODEL","calibration":{"datasetId":"$CAL","samples":64,"seqLen":256},"alpha":"0.5","level":"O1",
 "evaluation":{"datasetIds":["$CAL","$EVAL"],"maxTokens":4000},
 "benchmark":{"batchSizes":[1,2],"seqLens":[64,128],"decodeTokens":16},"backend":"cpu"}
JSON
)
BASE=""
printf "%-8s %10s %14s %9s\n" runners "job (s)" "partitioned (s)" speed-up
for N in 1 2 3; do
  $JAVA -jar gpu-runner/worker/target/sq-worker-exec.jar "${COMMON[@]}" --server.port=$((18180 + N)) \
    --sq.runner.name=runner-$N --sq.jobs.work-dir="$WORK/work-$N" > "$WORK/runner-$N.log" 2>&1 &
  PIDS+=($!)
  await_up $((18180 + N))
  JOB=$(curl -fs -H "$K" -H "Content-Type: application/json" -d "$SPEC" localhost:18180/api/v1/jobs | id)
  while :; do
    S=$(curl -fs -H "$K" localhost:18180/api/v1/jobs/$JOB)
    echo "$S" | grep -q '"status":"\(COMPLETED\|FAILED\|CANCELLED\)"' && break
    sleep 1
  done
  echo "$S" | grep -q '"status":"COMPLETED"' || { echo "job failed: $S"; exit 1; }
  # Wall time of the job, and of its partitioned steps, from the JobRepository.
  read -r TOTAL PART < <(psql -h 127.0.0.1 -U postgres -d $DB -Atc "
    SELECT round(extract(epoch FROM je.END_TIME - je.START_TIME)::numeric, 1),
           round(sum(extract(epoch FROM se.END_TIME - se.START_TIME)) FILTER (WHERE se.STEP_NAME IN
                 ('calibrate','evaluate','benchmark'))::numeric, 1)
    FROM BATCH_JOB_EXECUTION je JOIN BATCH_STEP_EXECUTION se ON se.JOB_EXECUTION_ID = je.JOB_EXECUTION_ID
    JOIN BATCH_JOB_EXECUTION_PARAMS p ON p.JOB_EXECUTION_ID = je.JOB_EXECUTION_ID
    WHERE p.PARAMETER_NAME = 'jobId' AND p.PARAMETER_VALUE = '$JOB' GROUP BY je.START_TIME, je.END_TIME" | tr '|' ' ')
  BASE=${BASE:-$PART}
  printf "%-8s %10s %14s %8.2fx\n" "$N" "$TOTAL" "$PART" "$(python3 -c "print($BASE/$PART)")"
done
echo "machine: $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
