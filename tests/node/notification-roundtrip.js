#!/usr/bin/env node
// Reads the `data` of a seed `getBucketNotification` answer on stdin and checks it against the
// `minio` npm client itself: each queue configuration is rebuilt with the client's classes (as a
// front end editing the configuration would), serialised to the XML the client's
// `setBucketNotification` sends, and parsed back with the client's own
// `getBucketNotification` parser. Prints
//   {"parsed": <what the minio client's getBucketNotification answers for that XML>,
//    "config": <the rebuilt NotificationConfig, as a front end would send it back>}
// so the caller can compare `parsed` with the answer it got (they must be equal).
'use strict';

const Minio = require('minio');
// The XML builder the client itself uses (its own dependency).
const xml2js = require(require.resolve('xml2js', { paths: [require.resolve('minio')] }));
const { parseBucketNotification } = require('minio/dist/main/xml-parsers.js');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const answer = JSON.parse(input);
  const config = new Minio.NotificationConfig();
  for (const entry of answer.QueueConfiguration || []) {
    const queue = new Minio.QueueConfig(entry.Queue);
    if (entry.Id) {
      queue.setId(entry.Id);
    }
    for (const event of entry.Event || []) {
      queue.addEvent(event);
    }
    for (const rule of entry.Filter || []) {
      if (rule.Name === 'prefix') {
        queue.addFilterPrefix(rule.Value);
      } else if (rule.Name === 'suffix') {
        queue.addFilterSuffix(rule.Value);
      } else {
        throw new Error('a filter rule the minio client cannot make: ' + JSON.stringify(rule));
      }
    }
    config.add(queue);
  }
  // As Client.setBucketNotification serialises it.
  const builder = new xml2js.Builder({
    rootName: 'NotificationConfiguration',
    renderOpts: { pretty: false },
    headless: true,
  });
  const xml = builder.buildObject(config);
  const parsed = parseBucketNotification(xml);
  process.stdout.write(JSON.stringify({ parsed, config }) + '\n');
});
