// Sequential get-job calls with the official Genesys JavaScript SDK.
//
// Usage: node js_sdk_bench.js BASE_URL CLIENT_ID CLIENT_SECRET JOB_ID N SETTLE_MS
//
// Points the SDK at the simulator with its documented gateway setting, logs
// in with client credentials, pauses SETTLE_MS, then times the first N
// sequential get-job calls (warm-up included: the SDK's first calls are part
// of the figure) and the next N (warmed up), inside this process (so start-up
// is excluded), and prints one JSON line:
// {"sdk", "version", "n", "cold_rps", "warm_rps"}. The bench runs this script
// once per run, each time in a fresh process, with the same pause for every
// client (see python_sdk_bench.py for why there is one).
'use strict';
const platformClient = require('purecloud-platform-client-v2');

async function timedLoop(api, jobId, n) {
  const start = process.hrtime.bigint();
  let job;
  for (let i = 0; i < n; i++) {
    job = await api.getInfrastructureascodeJob(jobId, {});
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  if (!job || job.id !== jobId) throw new Error('unexpected job ' + JSON.stringify(job));
  return n / elapsed;
}

async function main() {
  const [base, cid, secret, jobId, nArg, settleArg] = process.argv.slice(2);
  const n = parseInt(nArg, 10);
  const settleMs = parseInt(settleArg, 10);
  const url = new URL(base);
  const client = platformClient.ApiClient.instance;
  client.setGateway({
    host: url.hostname,
    protocol: url.protocol.replace(':', ''),
    port: parseInt(url.port, 10),
  });
  await client.loginClientCredentialsGrant(cid, secret);
  const api = new platformClient.InfrastructureAsCodeApi();
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const cold = await timedLoop(api, jobId, n);
  const warm = await timedLoop(api, jobId, n);
  const version = require('purecloud-platform-client-v2/package.json').version;
  console.log(JSON.stringify({ sdk: 'javascript', version, n, cold_rps: cold, warm_rps: warm }));
}

main().catch((e) => {
  console.error('js sdk bench failed:', e && (e.message || e));
  process.exit(1);
});
