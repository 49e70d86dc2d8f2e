import type { Command } from 'commander';
import { parseSegmentMix, checkSegmentMix } from '../producer/index.js';
import { TOKEN_ESTIMATES } from '../shared/cost-estimate.js';
import { ConfigError } from '../shared/errors.js';
import { loadManifest } from '../shared/manifest.js';
import { defaultPrices } from '../shared/pricing.js';
import { collect, write, type ReadoutIo } from './command-io.js';
import { DEFAULT_PII_SHARE, planExperiment } from './experiment-plan.js';
import { loadExperiments, selectExperiments, type Experiment } from './experiments.js';
import { parseOptions, PlanOptionsSchema, type PlanOptions } from './options.js';
import { renderPlanText } from './render-plan.js';
import { expectedSizes, formatSizes, queriesFor } from './run-sizing.js';

/** Registers `loadgen plan`. */
export function registerPlanCommand(program: Command, ctx: ReadoutIo): void {
  program
    .command('plan')
    .description(
      'Before paying for a run: users per arm needed to detect a lift at the confidence, and the expected ' +
        'request spend from data/pricing.json and token estimates',
    )
    .option('--experiment <id>', 'only this experiment (repeatable; default: all)', collect, [])
    .option('--experiments-file <file>', 'experiments definition (default: data/experiments.yaml)')
    .option('--baseline <rate>', "control's expected positive-feedback rate per user", '0.5')
    .option(
      '--lift <fraction>',
      "relative lift to detect, 0.2 = +20% (default: the experiment's lift criterion)",
    )
    .option('--confidence <p>', "confidence (default: the experiment's)")
    .option('--power <p>', 'chance of reaching the confidence when the lift is real', '0.8')
    .option('--requests-per-user <n>', 'requests each user makes', '1')
    .option(
      '--pii-percentage <n>',
      "share of questions with personal data, as `loadgen run` makes them: the security agent's only requests",
      String(DEFAULT_PII_SHARE * 100),
    )
    .option(
      '--query-tokens <n>',
      'average question length in tokens (the cost estimate; `loadgen run` measures its own)',
      String(TOKEN_ESTIMATES.queryTokens),
    )
    .option(
      '-n, --queries <n>',
      'queries of the run to size (as `loadgen run --queries`), or auto: the fewest with which every experiment ' +
        'gets the users per arm it needs',
      '200',
    )
    .option('--segments <mix>', 'segment mix of the run, as `loadgen run --segments`', 'other-paid=1')
    .option('--json', 'print the plan as JSON', false)
    .action(async (raw: Record<string, unknown>) => {
      await plan(parseOptions(PlanOptionsSchema, raw), ctx);
    });
}

/** The plan's own checks (e.g. a lift that pushes the rate past 100%) are option errors: exit 2. */
function planOrExplain(input: Parameters<typeof planExperiment>[0]): ReturnType<typeof planExperiment> {
  try {
    return planExperiment(input);
  } catch (err) {
    throw new ConfigError(`plan ${input.experiment.id}: ${(err as Error).message}`, { cause: err });
  }
}

async function plan(options: PlanOptions, io: ReadoutIo): Promise<void> {
  const experiments = selectExperiments(loadExperiments(options.experimentsFile), options.experiment);
  const manifest = loadManifest();
  const prices = defaultPrices();
  const plans = experiments.map((experiment) => ({
    name: experiment.name,
    plan: planOrExplain({
      experiment,
      baselineRate: options.baseline,
      power: options.power,
      requestsPerUser: options.requestsPerUser,
      queryTokens: options.queryTokens,
      piiShare: options.piiPercentage / 100,
      manifest,
      prices,
      ...(options.lift !== undefined ? { lift: options.lift } : {}),
      ...(options.confidence !== undefined ? { confidence: options.confidence } : {}),
    }),
  }));
  const segments = parseSegmentMix(options.segments);
  checkSegmentMix(manifest, segments);
  const shape = {
    segments,
    piiShare: options.piiPercentage / 100,
    requestsPerUser: options.requestsPerUser,
  };
  const needs = plans.map((p, i) => ({
    experiment: experiments[i] as Experiment,
    usersPerArm: p.plan.usersPerArm,
  }));
  const queries = options.queries === 'auto' ? queriesFor(needs, shape) : options.queries;
  const sizes = expectedSizes(needs, queries, shape);
  if (options.json) {
    await write(
      io.stdout,
      JSON.stringify(
        plans.map((p, i) => ({ ...p.plan, run: { queries, ...sizes[i] } })),
        null,
        2,
      ) + '\n',
    );
    return;
  }
  await write(
    io.stdout,
    plans.map((p) => renderPlanText(p.plan, p.name)).join('\n') +
      `\n${formatSizes(sizes, queries)}\nprices checked ${prices.checked}\n`,
  );
}
