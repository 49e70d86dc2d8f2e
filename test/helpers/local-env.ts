/**
 * The test process's environment for a spawned `loadgen` in the local default: no simulator URL, provider key
 * or SDK key from the machine (they would make it live or point it elsewhere), quiet logs, then `extra`.
 */
export function localDefaultEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const name of [
    'LLM_SIM_URL',
    'OPENAI_API_KEY',
    'ANTHROPIC_API_KEY',
    'MISTRAL_API_KEY',
    'LD_SDK_KEY',
  ]) {
    delete env[name];
  }
  return { ...env, ...extra };
}
