/** Messages between the stand-in's http module and its worker. */
export interface WireRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** ms from sending to the response headers (k6's `timings.waiting`, time to first byte). */
  waiting: number;
  /** ms from the headers to the end of the body. */
  receiving: number;
  error: string;
}
