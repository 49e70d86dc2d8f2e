import { count, percent, signedPercent, usd } from './format.js';
import type { Plan } from './plan.js';

/** A plan as terminal text: sample size first, then what it is expected to cost and why. */
export function renderPlanText(plan: Plan, name: string): string {
  const tokens = `${count(plan.tokensPerCall.input)} input + ${count(plan.tokensPerCall.output)} output tokens per agent call`;
  const models = plan.agents
    .map((a) => {
      const arm = (served: Plan['agents'][number]['control']) =>
        served.map((s) => (s.share === 1 ? s.model : `${s.model} ${percent(s.share, 0)}`)).join(' + ');
      const c = arm(a.control);
      const t = arm(a.treatment);
      return `    ${a.configKey}: ${c === t ? c : `${c} → ${t}`}`;
    })
    .join('\n');
  const lines = [
    `${name} (${plan.experimentId}): detect ${signedPercent(plan.lift, 0)} on a ${percent(plan.baselineRate)} baseline ` +
      `(→ ${percent(plan.treatmentRate)}) at ${percent(plan.confidence, 0)} confidence with ${percent(plan.power, 0)} power`,
    `  users per arm: ${count(plan.usersPerArm)} (${count(plan.totalUsers)} in the audience) · requests: ${count(
      plan.totalRequests,
    )} (${plan.requestsPerUser} per user)`,
    `  models per request (${tokens}):`,
    models,
  ];
  if (plan.expectedUsd && plan.perRequestUsd.control != null && plan.perRequestUsd.treatment != null) {
    lines.push(
      `  expected cost per request: control ${usd(plan.perRequestUsd.control)}, treatment ${usd(plan.perRequestUsd.treatment)}`,
      `  expected request spend: ${usd(plan.expectedUsd.total)} (control ${usd(plan.expectedUsd.control)}, treatment ${usd(
        plan.expectedUsd.treatment,
      )}); the judge and query generation come on top`,
    );
  } else {
    lines.push(
      `  expected spend: unknown, unpriced model(s): ${plan.unpricedModels.join(', ')} (add them to data/pricing.json)`,
    );
  }
  return lines.join('\n') + '\n';
}
