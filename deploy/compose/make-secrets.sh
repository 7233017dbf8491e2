#!/bin/sh
# Writes the uncommitted secret files of the compose deployment with fresh random values:
# deploy/compose/picgate.secrets.env and deploy/compose/minio.secrets.env. A file that already
# exists is left alone (delete it first to rotate; a new JWT secret logs everyone out).
set -eu
cd "$(dirname "$0")"
umask 077

random() {
    # $1 random bytes, as text (base64 without "+/=" and newlines): the JWT secret must be
    # UTF-8 text of 32 bytes or more (raw random bytes are refused); 48 bytes give ~60 characters.
    head -c "$1" /dev/urandom | base64 | tr -d '\n=+/'
}

if [ -e picgate.secrets.env ]; then
    echo "picgate.secrets.env exists: kept"
else
    s3_key="picgate-$(random 6)"
    s3_secret="$(random 30)"
    cat >picgate.secrets.env <<ENV
PICGATE__AUTH__JWT_SECRET=$(random 48)
PICGATE__BUCKETS__IMAGES__BACKEND__ACCESS_KEY_ID=$s3_key
PICGATE__BUCKETS__IMAGES__BACKEND__SECRET_ACCESS_KEY=$s3_secret
PICGATE__BUCKETS__FILES__BACKEND__ACCESS_KEY_ID=$s3_key
PICGATE__BUCKETS__FILES__BACKEND__SECRET_ACCESS_KEY=$s3_secret
PICGATE__STORAGE__SYSTEM__ACCESS_KEY_ID=$s3_key
PICGATE__STORAGE__SYSTEM__SECRET_ACCESS_KEY=$s3_secret
ENV
    echo "wrote picgate.secrets.env"
fi

if [ -e minio.secrets.env ]; then
    echo "minio.secrets.env exists: kept"
else
    cat >minio.secrets.env <<ENV
MINIO_ROOT_USER=minio-admin
MINIO_ROOT_PASSWORD=$(random 30)
ENV
    echo "wrote minio.secrets.env"
fi
