/** Shapes shared by the mock upstream's modules: requests it accepts, faults it injects, stats it reports. */

/** Faults injected into a response. Per request via the body field `mock`, or for every request via setFaults(). */
export interface Faults {
  /** Answer with this HTTP status and an OpenAI-shaped error instead of a completion. */
  status?: number;
  /** Wait this long before the response starts (added to the server's latencyMs). */
  delay_ms?: number;
  /** Wait this long between stream chunks (stream responses only). */
  chunk_delay_ms?: number;
  /** Produce exactly this many completion tokens (words), before max_tokens applies. */
  chunks?: number;
  /** Never answer: the request stays in flight until the client goes away or the server closes. */
  hang?: boolean;
  /** Cut the connection abruptly after this many content chunks (stream responses only). */
  error_after_chunks?: number;
  /** Ignore `stream_options.include_usage`, as some OpenAI-compatible servers do (stream responses only). */
  no_usage?: boolean;
  /** Server-wide only: the fraction of requests (0..1) answered with `status` (default 500), spread evenly. */
  fail_rate?: number;
}

export interface LastRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The parsed JSON body, or the raw text when it did not parse, or null when there was none. */
  body: unknown;
}

export interface MockStats {
  /** Requests received, by path (`/v1/chat/completions`, ...); control paths under `/__mock/` are not counted. */
  requests: Record<string, number>;
  total: number;
  /** Responses started but not yet finished (including hung ones). */
  inFlight: number;
  /** Responses sent to the end. */
  completed: number;
  /** Responses whose client went away before the end. */
  aborted: number;
  /** Responses replaced by an injected error status, or cut (error_after_chunks, server close); not in completed/aborted when cut. */
  faulted: number;
  lastRequest: LastRequest | null;
}

export type ChatContentPart = { type: string; text?: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema?: JsonSchema | null; strict?: boolean | null } };

export interface ChatMessage {
  role: string;
  content?: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: unknown[];
  tool_call_id?: string;
}

/** A JSON Schema as found in a function tool's `parameters` (only what the mock reads). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[] | undefined;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: boolean | JsonSchema;
}

export interface FunctionTool {
  type: 'function' | 'custom';
  function: { name: string; description?: string; parameters?: JsonSchema };
}

export type ToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function' | 'custom' | 'allowed_tools'; function?: { name: string }; allowed_tools?: { mode?: string } }
  | null;

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  n?: number;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  stop?: string | string[] | null;
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
  response_format?: ResponseFormat | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  seed?: number | null;
  mock?: Faults;
}

export interface CompletionRequest {
  model: string;
  prompt: string | string[] | number[] | number[][];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  n?: number;
  max_tokens?: number | null;
  stop?: string | string[] | null;
  echo?: boolean;
  mock?: Faults;
}

export interface EmbeddingRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
  mock?: Faults;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}
