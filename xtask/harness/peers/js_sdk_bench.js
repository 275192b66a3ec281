// Sequential get-job calls with the official Genesys JavaScript SDK.
//
// Usage: node js_sdk_bench.js BASE_URL CLIENT_ID CLIENT_SECRET JOB_ID N RUNS
//
// Points the SDK at the simulator with its documented gateway setting, logs
// in with client credentials (outside the timed loops), warms up, then times
// RUNS loops of N sequential get-job calls and prints one JSON line.
'use strict';
const platformClient = require('purecloud-platform-client-v2');

async function main() {
  const [base, cid, secret, jobId, nArg, runsArg] = process.argv.slice(2);
  const n = parseInt(nArg, 10);
  const runs = parseInt(runsArg, 10);
  const url = new URL(base);
  const client = platformClient.ApiClient.instance;
  client.setGateway({
    host: url.hostname,
    protocol: url.protocol.replace(':', ''),
    port: parseInt(url.port, 10),
  });
  await client.loginClientCredentialsGrant(cid, secret);
  const api = new platformClient.InfrastructureAsCodeApi();
  for (let i = 0; i < Math.min(50, n); i++) {
    await api.getInfrastructureascodeJob(jobId, {});
  }
  const rates = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    let job;
    for (let i = 0; i < n; i++) {
      job = await api.getInfrastructureascodeJob(jobId, {});
    }
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    if (!job || job.id !== jobId) throw new Error('unexpected job ' + JSON.stringify(job));
    rates.push(n / elapsed);
  }
  const version = require('purecloud-platform-client-v2/package.json').version;
  console.log(JSON.stringify({ sdk: 'javascript', version, n, rps: rates }));
}

main().catch((e) => {
  console.error('js sdk bench failed:', e && (e.message || e));
  process.exit(1);
});
