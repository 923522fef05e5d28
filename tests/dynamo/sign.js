// Signs a request with the AWS SDK for JavaScript's own SigV4 signer, to
// check cctv's signer against it. Reads a JSON request from stdin:
//   {"method","host","path","headers":{},"body","region","service",
//    "date":"20261128T120000Z","access_key_id","secret_access_key","session_token"}
// and prints the Authorization header it computes.
'use strict';
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('./sha256');

let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', async () => {
  const r = JSON.parse(input);
  const signer = new SignatureV4({
    service: r.service,
    region: r.region,
    sha256: Sha256,
    applyChecksum: false,  // the DynamoDB client signs no x-amz-content-sha256
    credentials: {
      accessKeyId: r.access_key_id,
      secretAccessKey: r.secret_access_key,
      sessionToken: r.session_token || undefined,
    },
  });
  const d = r.date;
  const when = new Date(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`);
  const signed = await signer.sign(
    { method: r.method, protocol: 'https:', hostname: r.host, path: r.path, headers: Object.assign({ host: r.host }, r.headers), body: r.body, query: {} },
    { signingDate: when });
  process.stdout.write(`${signed.headers.authorization}\n`);
});
