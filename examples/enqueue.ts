// The README's scripting example (run by test/library.test.ts): register a run, enqueue five questions,
// wait for the workers' results and print the readout. Needs workers on the same REDIS_URL / REDIS_PREFIX.
import { LoadgenClient, type QueryJob } from 'loadgen';

const runId = process.env.RUN_ID ?? `script-${Date.now()}`;
const client = new LoadgenClient(); // REDIS_URL and REDIS_PREFIX from the environment
try {
  const questions = [
    'How do I reset my password?',
    'What does the paid plan include?',
    'Can I export my data as CSV?',
    'Why was my card declined?',
    'How do I add a teammate?',
  ];
  const jobs: QueryJob[] = questions.map((query, seq) => ({
    runId,
    seq,
    query,
    user: { key: `${runId}-user-${seq}`, country: 'US', plan: seq % 2 ? 'paid' : 'free' },
  }));
  await client.createRun({ runId, queries: jobs.length });
  await client.enqueue(jobs); // validated: a bad job throws before anything is added
  const results = await client.waitForResults(runId, { timeoutMs: 120_000 });
  const readout = await client.readout(runId);
  process.stdout.write(
    JSON.stringify({
      runId,
      results: results.length,
      completed: results.filter((r) => r.status === 'completed').length,
      experiments: readout.experiments.map((e) => ({ id: e.id, state: e.state })),
    }) + '\n',
  );
} finally {
  await client.close();
}
