/**
 * Recorded upstreams for end-to-end tests: one fake provider per adapter (Anthropic, Bedrock, Azure OpenAI,
 * Gemini, and the OpenAI-compatible family) on 127.0.0.1, answering each turn of a conversation with the
 * recorded wire format from regional/test/fixtures/providers/, plus what a client should see after Skyway's
 * translation — taken from the recordings' own numbers, not from the gateway's output.
 *
 * @example
 *   const up = await startRecordedProvider('bedrock');
 *   const gw = await startGatewayProcess({ config: 'models:\n' + up.modelYaml('claude-bedrock'), env: up.env });
 *   // … OpenAI or Anthropic client against gw.url, model 'claude-bedrock' …
 *   await up.close();
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import {
  chop,
  fixture,
  fixtureJson,
  startFakeUpstream,
  type FakeResponse,
  type FakeUpstream,
  type ReceivedRequest,
} from './providers-fake-upstream.js';

export type ProviderName = 'anthropic' | 'bedrock' | 'azure' | 'gemini' | 'openai';

/** Which recorded answer a request gets. */
export type Turn = 'text' | 'stream' | 'tool' | 'stream-tool' | 'after-tool' | 'context-overflow';

/**
 * Put this in a prompt to get the provider's recorded "prompt too long" error from the named provider(s)
 * (`overflowMarker('anthropic')`), or from every provider (`overflowMarker('any')`).
 */
export function overflowMarker(provider: ProviderName | 'any'): string {
  return `[[overflow:${provider}]]`;
}

export interface ExpectedUsage {
  prompt: number;
  completion: number;
}

/** What the client must see, from the recordings. */
export interface ProviderExpectations {
  text: string;
  textUsage: ExpectedUsage;
  streamText: string;
  streamUsage: ExpectedUsage;
  tool: { name: string; args: Record<string, unknown> };
  afterToolText: string;
  /** Recorded streaming tool calls exist for this provider. */
  streamTool?: { name: string; args: Record<string, unknown> };
  /** USD per 1M tokens that applies to `model` (list price), for the x-skyway-cost-usd check. */
  price: { input: number; output: number };
}

export interface RecordedProvider {
  name: ProviderName;
  upstream: FakeUpstream;
  /** The upstream model of the deployment. */
  model: string;
  /** Turns served so far, in order. */
  turns: Turn[];
  expect: ProviderExpectations;
  /** Environment variables the gateway needs for this deployment (credentials). */
  env: Record<string, string>;
  /** One `models:` list entry (indented for a top-level `models:` key); `extra`: model-level YAML lines. */
  modelYaml(publicName: string, extra?: string): string;
  /** Check the request carries this provider's credentials; returns a description of what is wrong, or ''. */
  authProblem(r: ReceivedRequest): string;
  close(): Promise<void>;
}

const AWS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SSE = { 'content-type': 'text/event-stream' };

const codec = new EventStreamCodec(
  (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'),
  (s) => Buffer.from(s, 'utf8'),
);

interface RecordedEvent {
  messageType: 'event' | 'exception';
  type: string;
  payload: unknown;
}

/** Recorded ConverseStream events → application/vnd.amazon.eventstream frames (encoded here, not by Skyway). */
export function eventStream(name: string): Buffer {
  return Buffer.concat(
    fixtureJson<RecordedEvent[]>(`bedrock/${name}`).map((e) => {
      const typeHeader = e.messageType === 'event' ? ':event-type' : ':exception-type';
      const bytes = codec.encode({
        headers: {
          ':message-type': { type: 'string', value: e.messageType },
          [typeHeader]: { type: 'string', value: e.type },
          ':content-type': { type: 'string', value: 'application/json' },
        },
        body: Buffer.from(JSON.stringify(e.payload), 'utf8'),
      });
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }),
  );
}

/** How each provider's wire format shows streaming, tools and tool results. */
interface Shape {
  stream(r: ReceivedRequest, body: Record<string, unknown>): boolean;
  hasTools(body: Record<string, unknown>): boolean;
  hasToolResult(raw: string, body: Record<string, unknown>): boolean;
}

const openAIShape: Shape = {
  stream: (_r, b) => b.stream === true,
  hasTools: (b) => Array.isArray(b.tools) && b.tools.length > 0,
  hasToolResult: (_raw, b) => Array.isArray(b.messages) && (b.messages as Array<{ role?: string }>).some((m) => m.role === 'tool'),
};

const SHAPES: Record<ProviderName, Shape> = {
  anthropic: {
    stream: (_r, b) => b.stream === true,
    hasTools: (b) => Array.isArray(b.tools) && b.tools.length > 0,
    hasToolResult: (raw) => raw.includes('"tool_result"'),
  },
  bedrock: {
    stream: (r) => r.path.endsWith('/converse-stream'),
    hasTools: (b) => b.toolConfig !== undefined,
    hasToolResult: (raw) => raw.includes('"toolResult"'),
  },
  gemini: {
    stream: (r) => r.path.includes(':streamGenerateContent'),
    hasTools: (b) => Array.isArray(b.tools) && b.tools.length > 0,
    hasToolResult: (raw) => raw.includes('"functionResponse"'),
  },
  azure: openAIShape,
  openai: openAIShape,
};

export function turnOf(provider: ProviderName, r: ReceivedRequest): Turn {
  const raw = r.body.toString('utf8');
  const body = r.json();
  const s = SHAPES[provider];
  if (raw.includes(overflowMarker(provider)) || raw.includes(overflowMarker('any'))) return 'context-overflow';
  if (s.hasToolResult(raw, body)) return 'after-tool';
  const stream = s.stream(r, body);
  if (s.hasTools(body)) return stream ? 'stream-tool' : 'tool';
  return stream ? 'stream' : 'text';
}

type Answers = Record<Turn, () => FakeResponse>;

const json = (path: string) => (): FakeResponse => ({ body: fixture(path) });
const sse = (path: string) => (): FakeResponse => ({ headers: SSE, body: chop(fixture(path)) });
const noRecording = (what: string) => (): FakeResponse => ({ status: 500, body: `{"error":{"message":"no recording for ${what}"}}` });

// Azure OpenAI answers in the OpenAI chat-completions wire format (plus content-filter fields OpenAI clients
// ignore): its recordings serve the OpenAI-compatible family too.
const openAIAnswers = (provider: string): Answers => ({
  text: json('azure/chat-text.json'),
  stream: sse('azure/chat-stream.sse'),
  tool: json('azure/chat-tool-call.json'),
  'stream-tool': noRecording(`${provider} streaming tool calls`),
  'after-tool': json('azure/chat-text.json'),
  'context-overflow': () => ({ status: 400, body: fixture('azure/error-400-context-length.json') }),
});

const openAIExpect: Omit<ProviderExpectations, 'price'> = {
  text: 'Hello! How can I assist you today?',
  textUsage: { prompt: 19, completion: 9 },
  streamText: 'Bonjour à tous!',
  streamUsage: { prompt: 11, completion: 5 },
  tool: { name: 'get_weather', args: { location: 'Paris' } },
  afterToolText: 'Hello! How can I assist you today?',
};

interface Recording {
  model: string;
  answers: Answers;
  expect: ProviderExpectations;
  env: Record<string, string>;
  yaml(publicName: string, apiBase: string): string;
  authProblem(r: ReceivedRequest): string;
}

const RECORDINGS: Record<ProviderName, Recording> = {
  anthropic: {
    model: 'claude-sonnet-4-5-20250929',
    answers: {
      text: json('anthropic/messages-text.json'),
      stream: sse('anthropic/stream-text.sse'),
      tool: json('anthropic/messages-tool-use.json'),
      'stream-tool': sse('anthropic/stream-tool-use.sse'),
      'after-tool': json('anthropic/messages-after-tool.json'),
      'context-overflow': () => ({ status: 400, body: fixture('anthropic/error-400-prompt-too-long.json') }),
    },
    expect: {
      text: 'Hello! How can I help you today?',
      textUsage: { prompt: 12, completion: 12 },
      streamText: 'Hello, wörld! ☀️',
      streamUsage: { prompt: 25, completion: 15 },
      tool: { name: 'get_weather', args: { location: 'San Francisco, CA', unit: 'celsius' } },
      streamTool: { name: 'get_weather', args: { location: 'San Francisco, CA', unit: 'celsius' } },
      afterToolText: 'It is currently 15°C and foggy in San Francisco.',
      price: { input: 3, output: 15 },
    },
    env: { E2E_ANTHROPIC_KEY: 'sk-ant-e2e' },
    yaml: (name, base) =>
      `  - name: ${name}\n    deployments:\n      - provider: anthropic\n        model: claude-sonnet-4-5-20250929\n` +
      `        api_base: ${base}/v1\n        api_key_env: E2E_ANTHROPIC_KEY\n        options: { anthropic_version: "2023-06-01" }\n`,
    authProblem: (r) =>
      r.headers['x-api-key'] !== 'sk-ant-e2e' ? `x-api-key is ${String(r.headers['x-api-key'])}` : r.headers['anthropic-version'] !== '2023-06-01' ? 'no anthropic-version' : '',
  },
  bedrock: {
    model: 'us.anthropic.claude-3-5-sonnet-20241022-v2:0',
    answers: {
      text: json('bedrock/converse-text.json'),
      stream: () => ({ headers: { 'content-type': 'application/vnd.amazon.eventstream' }, body: chop(eventStream('converse-stream-text.events.json'), 53) }),
      tool: json('bedrock/converse-tool-use.json'),
      'stream-tool': () => ({ headers: { 'content-type': 'application/vnd.amazon.eventstream' }, body: chop(eventStream('converse-stream-tool-use.events.json'), 53) }),
      'after-tool': json('bedrock/converse-after-tool.json'),
      'context-overflow': () => ({
        status: 400,
        headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
        body: fixture('bedrock/error-400-input-too-long.json'),
      }),
    },
    expect: {
      text: 'Hello! How can I help you today?',
      textUsage: { prompt: 14, completion: 12 },
      streamText: 'Hello from Nova ✓',
      streamUsage: { prompt: 9, completion: 5 },
      tool: { name: 'get_weather', args: { location: 'Seattle, WA' } },
      streamTool: { name: 'get_weather', args: { location: 'Seattle, WA' } },
      afterToolText: 'It is 12°C and raining in Seattle.',
      price: { input: 3, output: 15 },
    },
    env: {},
    yaml: (name, base) =>
      `  - name: ${name}\n    deployments:\n      - provider: bedrock\n        model: "us.anthropic.claude-3-5-sonnet-20241022-v2:0"\n` +
      `        api_base: ${base}\n        options:\n          aws_region: us-west-2\n` +
      `          aws_access_key_id: ${AWS.accessKeyId}\n          aws_secret_access_key: "${AWS.secretAccessKey}"\n`,
    authProblem: (r) => {
      const auth = String(r.headers.authorization ?? '');
      if (!auth.startsWith(`AWS4-HMAC-SHA256 Credential=${AWS.accessKeyId}/`) || !auth.includes('/us-west-2/bedrock/aws4_request')) return `authorization is ${auth}`;
      return r.headers['x-amz-date'] ? '' : 'no x-amz-date';
    },
  },
  gemini: {
    model: 'gemini-2.5-flash',
    answers: {
      text: json('gemini/generate-text.json'),
      stream: sse('gemini/stream-text.sse'),
      tool: json('gemini/generate-function-call.json'),
      'stream-tool': sse('gemini/stream-function-call.sse'),
      'after-tool': json('gemini/generate-after-tool.json'),
      'context-overflow': () => ({ status: 400, body: fixture('gemini/error-400-token-limit.json') }),
    },
    expect: {
      text: 'Hello there! How can I help you today?',
      // Thinking tokens are output tokens (OpenAI counts reasoning in completion_tokens): 10 + 28.
      textUsage: { prompt: 8, completion: 38 },
      streamText: 'Why did the chicken cross the road?\n\nTo get to the other side. 🐔',
      streamUsage: { prompt: 6, completion: 18 },
      tool: { name: 'get_weather', args: { location: 'Tokyo' } },
      streamTool: { name: 'get_weather', args: { location: 'Tokyo' } },
      afterToolText: "It's 22°C and sunny in Tokyo.",
      price: { input: 0.3, output: 2.5 },
    },
    env: { E2E_GEMINI_KEY: 'gem-e2e' },
    yaml: (name, base) =>
      `  - name: ${name}\n    deployments:\n      - provider: gemini\n        model: gemini-2.5-flash\n        api_base: ${base}\n        api_key_env: E2E_GEMINI_KEY\n`,
    authProblem: (r) => (r.headers['x-goog-api-key'] !== 'gem-e2e' ? `x-goog-api-key is ${String(r.headers['x-goog-api-key'])}` : ''),
  },
  azure: {
    model: 'gpt-4o',
    answers: openAIAnswers('azure'),
    expect: { ...openAIExpect, price: { input: 2.5, output: 10 } },
    env: { E2E_AZURE_KEY: 'az-e2e' },
    yaml: (name, base) =>
      `  - name: ${name}\n    deployments:\n      - provider: azure\n        model: gpt-4o\n        api_base: ${base}\n        api_key_env: E2E_AZURE_KEY\n` +
      `        options: { api_version: "2024-10-21", deployment: prod-gpt4o }\n`,
    authProblem: (r) => {
      if (r.headers['api-key'] !== 'az-e2e') return `api-key is ${String(r.headers['api-key'])}`;
      return r.path === '/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21' ? '' : `path is ${r.path}`;
    },
  },
  openai: {
    model: 'gpt-4o-mini',
    answers: openAIAnswers('openai'),
    // The public name is priced by the config's `pricing:` override (see providersConfig).
    expect: { ...openAIExpect, price: { input: 1, output: 2 } },
    env: { E2E_OPENAI_KEY: 'sk-openai-e2e' },
    yaml: (name, base) =>
      `  - name: ${name}\n    deployments:\n      - provider: openai\n        model: gpt-4o-mini\n        api_base: ${base}/v1\n        api_key_env: E2E_OPENAI_KEY\n`,
    authProblem: (r) => {
      if (r.headers.authorization !== 'Bearer sk-openai-e2e') return `authorization is ${String(r.headers.authorization)}`;
      return r.path === '/v1/chat/completions' ? '' : `path is ${r.path}`;
    },
  },
};

export const PROVIDERS: readonly ProviderName[] = ['anthropic', 'bedrock', 'azure', 'gemini', 'openai'];

/** Providers with a recorded streaming tool call. */
export const RECORDED_STREAM_TOOLS: ReadonlySet<ProviderName> = new Set(PROVIDERS.filter((p) => RECORDINGS[p].expect.streamTool));

export async function startRecordedProvider(name: ProviderName): Promise<RecordedProvider> {
  const rec = RECORDINGS[name];
  const turns: Turn[] = [];
  const upstream = await startFakeUpstream((r) => {
    const turn = turnOf(name, r);
    turns.push(turn);
    return rec.answers[turn]();
  });
  return {
    name,
    upstream,
    model: rec.model,
    turns,
    expect: rec.expect,
    env: rec.env,
    modelYaml: (publicName, extra = '') => {
      const entry = rec.yaml(publicName, upstream.url);
      const cut = entry.indexOf('    deployments:\n');
      return entry.slice(0, cut) + extra + entry.slice(cut);
    },
    authProblem: rec.authProblem,
    close: () => upstream.close(),
  };
}
