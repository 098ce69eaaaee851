/** The one contract between infra, the edge and the gateway: environment variables, ports, headers. */
export * from './env.js';
export * from './headers.js';
export * from './ports.js';
export * from './region-health.js';
