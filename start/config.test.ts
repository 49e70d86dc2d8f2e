import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('start config', () => {
  it('keeps LLM_SIM_URL=off, which makes start go live without its own llm-sim', () => {
    expect(loadConfig({ LLM_SIM_URL: 'off' }).llmSimUrl).toBe('off');
    expect(loadConfig({ LLM_SIM_URL: 'http://sim:1' }).llmSimUrl).toBe('http://sim:1');
    expect(loadConfig({ LLM_SIM_URL: '' }).llmSimUrl).toBeUndefined();
    expect(() => loadConfig({ LLM_SIM_URL: 'of' })).toThrow(/LLM_SIM_URL/);
  });
});
