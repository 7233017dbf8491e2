#!/usr/bin/env node
// Builds a bucket notification configuration exactly as the replaced service's front end did,
// with the `minio` npm client's classes, and prints the body of the seed's
// `setBucketNotification`: `{"bucketName": ..., "config": <NotificationConfig>}`.
//
//   node notification-config.js <bucket> <arn> [prefix] [suffix] [event ...]
//
// Events default to `s3:ObjectCreated:*` (Minio.ObjectCreatedAll); an empty prefix or suffix
// adds no filter rule.
'use strict';

const Minio = require('minio');

const [bucketName, arn, prefix = '', suffix = '', ...events] = process.argv.slice(2);
if (!bucketName || !arn) {
  console.error('usage: node notification-config.js <bucket> <arn> [prefix] [suffix] [event ...]');
  process.exit(2);
}

const config = new Minio.NotificationConfig();
const queue = new Minio.QueueConfig(arn);
for (const event of events.length ? events : [Minio.ObjectCreatedAll]) {
  queue.addEvent(event);
}
if (prefix) {
  queue.addFilterPrefix(prefix);
}
if (suffix) {
  queue.addFilterSuffix(suffix);
}
config.add(queue);

process.stdout.write(JSON.stringify({ bucketName, config }) + '\n');
