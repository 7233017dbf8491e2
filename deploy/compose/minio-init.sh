#!/bin/sh
# Prepares the compose MinIO for picgate (the minio-init service): creates the remote buckets
# named in picgate.env, keeps them private (picgate serves public-read buckets itself), and
# gives picgate a MinIO user of its own, limited to those buckets. Idempotent: runs at every
# `docker compose up`.
set -eu

fail() {
    echo "minio-init: $*" >&2
    exit 1
}

if [ -z "${MINIO_ROOT_USER:-}" ] || [ -z "${MINIO_ROOT_PASSWORD:-}" ]; then
    fail "MINIO_ROOT_USER/MINIO_ROOT_PASSWORD unset: create deploy/compose/minio.secrets.env (docs/deploy.md)"
fi

buckets="${PICGATE__BUCKETS__IMAGES__BACKEND__BUCKET:?set in picgate.env}
${PICGATE__BUCKETS__FILES__BACKEND__BUCKET:?set in picgate.env}
${PICGATE__STORAGE__SYSTEM__BUCKET:?set in picgate.env}"

mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

resources=""
names=""
for bucket in $buckets; do
    mc mb --ignore-existing "local/$bucket"
    # No anonymous access on MinIO itself: a picgate bucket's policy can change at run time.
    mc anonymous set none "local/$bucket" >/dev/null
    resources="$resources\"arn:aws:s3:::$bucket\", \"arn:aws:s3:::$bucket/*\", "
    names="$names $bucket"
done
resources="${resources%, }"

policy=/tmp/picgate-policy.json
cat >"$policy" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "s3:GetBucketLocation",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts"
      ],
      "Resource": [$resources]
    }
  ]
}
JSON
mc admin policy create local picgate "$policy" >/dev/null

# One MinIO user per distinct key pair picgate is configured with (usually one).
seen=" "
add_user() {
    access_key=$1
    secret_key=$2
    if [ -z "$access_key" ] || [ -z "$secret_key" ]; then
        fail "S3 credentials unset: create deploy/compose/picgate.secrets.env (docs/deploy.md)"
    fi
    case "$seen" in *" $access_key "*) return 0 ;; esac
    seen="$seen$access_key "
    mc admin user add local "$access_key" "$secret_key" >/dev/null
    if ! mc admin user info local "$access_key" --json \
        | grep -Eq '"policyName": *"([^"]*,)?picgate(,[^"]*)?"'; then
        mc admin policy attach local picgate --user "$access_key" >/dev/null
    fi
    echo "minio-init: user $access_key may use:$names"
}
add_user "${PICGATE__BUCKETS__IMAGES__BACKEND__ACCESS_KEY_ID:-}" "${PICGATE__BUCKETS__IMAGES__BACKEND__SECRET_ACCESS_KEY:-}"
add_user "${PICGATE__BUCKETS__FILES__BACKEND__ACCESS_KEY_ID:-}" "${PICGATE__BUCKETS__FILES__BACKEND__SECRET_ACCESS_KEY:-}"
add_user "${PICGATE__STORAGE__SYSTEM__ACCESS_KEY_ID:-}" "${PICGATE__STORAGE__SYSTEM__SECRET_ACCESS_KEY:-}"
