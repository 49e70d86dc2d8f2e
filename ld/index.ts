/** LaunchDarkly's REST API as `loadgen ld` and `loadgen doctor` use it. */
export { loadConfig, type LdConfig } from './config.js';
export { LaunchDarklyRestClient } from './rest-client.js';
