import { count, percent, signedPercent, usd } from './format.js';
import type { Plan } from './experiment-plan.js';

/** A plan as terminal text: sample size and the queries to run first, then what it is expected to cost and why. */
export function renderPlanText(plan: Plan, name: string): string {
  const models = plan.agents
    .map((a) => {
      const arm = (served: Plan['agents'][number]['control']) =>
        served.map((s) => (s.share === 1 ? s.model : `${s.model} ${percent(s.share, 0)}`)).join(' + ');
      const c = arm(a.control);
      const t = arm(a.treatment);
      const runs = a.runs === 1 ? '' : ` (on the ${percent(a.runs, 0)} of requests with personal data)`;
      return `    ${a.configKey}: ${c === t ? c : `${c} → ${t}`}${runs}`;
    })
    .join('\n');
  const exposure =
    plan.exposure < 1
      ? ` · only ${percent(plan.exposure, 1)} of users reach the flag (requests with personal data, --pii-percentage ${
          Math.round(plan.piiShare * 1000) / 10
        })`
      : '';
  const lines = [
    `${name} (${plan.experimentId}): detect ${signedPercent(plan.lift, 0)} on a ${percent(plan.baselineRate)} baseline ` +
      `(→ ${percent(plan.treatmentRate)}) at ${percent(plan.confidence, 0)} confidence with ${percent(plan.power, 0)} power`,
    `  users per arm: ${count(plan.usersPerArm)}${exposure}`,
    `  queries to run: ${count(plan.totalRequests)} (${count(plan.totalUsers)} users in the audience, ${
      plan.requestsPerUser
    } per user): loadgen run --queries ${plan.totalRequests}`,
    `  models per request (questions of ~${count(plan.queryTokens)} tokens):`,
    models,
  ];
  const unpriced = [...new Set([...plan.unpricedModels.control, ...plan.unpricedModels.treatment])];
  if (plan.expectedUsd && plan.perRequestUsd.control != null && plan.perRequestUsd.treatment != null) {
    lines.push(
      `  expected cost per request: control ${usd(plan.perRequestUsd.control)}, treatment ${usd(plan.perRequestUsd.treatment)}`,
      `  expected request spend: ${usd(plan.expectedUsd.total)} (control ${usd(plan.expectedUsd.control)}, treatment ${usd(
        plan.expectedUsd.treatment,
      )}); the judge and query generation come on top`,
    );
  } else {
    const perArm = (label: string, value: number | null, models: string[]) =>
      value != null ? `${label} ${usd(value)}` : `${label} unknown (unpriced: ${models.join(', ')})`;
    lines.push(
      `  expected cost per request: ${perArm('control', plan.perRequestUsd.control, plan.unpricedModels.control)}, ${perArm(
        'treatment',
        plan.perRequestUsd.treatment,
        plan.unpricedModels.treatment,
      )}`,
      `  expected spend: unknown, unpriced model(s): ${unpriced.join(', ')} (add them to data/pricing.json)`,
    );
  }
  return lines.join('\n') + '\n';
}
