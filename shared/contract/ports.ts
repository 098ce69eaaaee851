/**
 * Ports the containers listen on, declared once: the Dockerfile's defaults, the task definitions' port mappings,
 * the ALB target groups and the health checks all use these.
 */
export const PORTS = {
  /** Inference traffic (SKYWAY_ROLE=api): PORT. */
  api: 4000,
  /** Management API (SKYWAY_ROLE=admin): ADMIN_PORT. */
  admin: 4001,
  /** Prometheus /metrics (both roles): SKYWAY_METRICS_PORT; never behind the ALB. */
  metrics: 9464,
} as const;

/** Health endpoints every role answers on its own port. */
export const HEALTH_PATHS = {
  /** The process is up (container health check). */
  liveliness: '/health/liveliness',
  /** The process can serve (ALB target health check): stores reachable, not draining. */
  readiness: '/health/readiness',
} as const;
